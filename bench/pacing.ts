export const now = () => performance.timeOrigin + performance.now();

/** The value of bench channel `channel` (1…) in sample `seq`: channel 0 carries `seq` itself. */
export const sampleValue = (channel: number, seq: number) => Number((20 + channel + Math.sin(seq / 10)).toFixed(2));

/** Calls `send` `rateHz` times a second for `seconds` with a sequence number from 1; returns when each was sent. */
export async function drive(seconds: number, rateHz: number, send: (seq: number) => void): Promise<Map<number, number>> {
  const sent = new Map<number, number>();
  const total = Math.round(seconds * rateHz);
  const start = now();
  for (let seq = 1; seq <= total; seq++) {
    const due = start + (seq * 1000) / rateHz;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.set(seq, now());
    send(seq);
  }
  await new Promise((r) => setTimeout(r, 1000));
  return sent;
}

