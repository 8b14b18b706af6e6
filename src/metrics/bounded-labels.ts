/**
 * A label value guard: passes the first `max` distinct values through and maps every later new value to
 * `other`, so a client inventing model names (`openai/<anything>`) cannot grow the series without bound.
 * Empty values become `none`. Pure apart from the remembered set; O(1) per call.
 */
export function createBoundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === '') return 'none';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}
