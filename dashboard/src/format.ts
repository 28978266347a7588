export function formatValue(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  return value.toFixed(abs < 1 && abs !== 0 ? 3 : 2);
}

export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return "just now";
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  return `${(ms / 3_600_000).toFixed(1)} h ago`;
}

const PALETTE = ["#4cc9f0", "#f72585", "#ffb703", "#80ed99", "#b388ff", "#ff8fab", "#90e0ef", "#f4a261", "#a7c957", "#e9c46a"];

export function colorFor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Creates an element with text content only: sensor and config names never become HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
