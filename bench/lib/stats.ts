/** Small pure helpers for benchmark figures. */

/** The p-th percentile (0–100) of `values` by nearest rank; NaN for an empty list. Does not modify `values`. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Formats a number with `digits` decimals, or `–` when it is not finite. */
export function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}

/** `a / b` as "1.23×", or `–`. */
export function ratio(a: number | undefined, b: number | undefined, digits = 2): string {
  return a === undefined || b === undefined || !Number.isFinite(a / b) || b === 0 ? '–' : `${(a / b).toFixed(digits)}×`;
}

/** A markdown table from a header row and body rows. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
