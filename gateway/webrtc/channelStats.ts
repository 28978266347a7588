/** Messages and bytes sent per data-channel label, across all viewers, for metrics. */
export class ChannelStats {
  readonly byLabel = new Map<string, { messages: number; bytes: number }>();

  sent(label: string, bytes: number): void {
    const s = this.byLabel.get(label) ?? { messages: 0, bytes: 0 };
    s.messages++;
    s.bytes += bytes;
    this.byLabel.set(label, s);
  }
}
