/**
 * Numeric parameters of the native request formats, range-checked at the edge with the providers' own published
 * limits (chat completions has OpenAI's schema for this, src/core/request-schema.ts). An out-of-range value is a
 * 400 naming the parameter in the ingress' own envelope: passed on, it would be refused upstream at best, and at
 * worst (a max_tokens of 1e15) make a budget hold no integer can hold.
 */

/** The largest output cap accepted anywhere: 8× the largest known model output limit (as for chat). */
export const MAX_OUTPUT_TOKENS_LIMIT = 1_048_576;

export interface NumericRange {
  min: number;
  max: number;
  integer?: boolean;
}

/** Why `value` is not a number in `range` (undefined when it is, or when absent). */
export function rangeProblem(value: unknown, range: NumericRange): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a ${range.integer ? 'integer' : 'number'}`;
  if (range.integer && !Number.isInteger(value)) return 'must be an integer';
  if (value < range.min) return `must be >= ${range.min}`;
  if (value > range.max) return `must be <= ${range.max}`;
  return undefined;
}

/** Checks every listed parameter of `body`; returns the first problem as [param, message]. */
export function firstRangeProblem(body: Record<string, unknown>, ranges: Record<string, NumericRange>): [string, string] | undefined {
  for (const [param, range] of Object.entries(ranges)) {
    const problem = rangeProblem(body[param], range);
    if (problem) return [param, problem];
  }
  return undefined;
}
