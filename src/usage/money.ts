/** Exact decimal USD → integer micro-dollars (no float math: "0.15" → 150000). Throws on more than 6 decimals. */
export function parseUsdMicros(value: string | number): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`not a USD amount with at most 6 decimals: ${text}`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Integer micro-dollars → "12.345678" for display. */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}
