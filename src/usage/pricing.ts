/**
 * Model prices and request cost, exact to the micro-dollar.
 *
 * Prices come from config in USD per 1M tokens, as decimal strings ("0.15") or YAML numbers (0.15). They are
 * parsed digit by digit into integer micro-dollars per 1M tokens (0.15 → 150000), never through float math.
 * A request's cost is then Σ tokens × price — an integer number of micro-dollars × 10⁻⁶ — rounded half-up once,
 * per request, to integer micro-dollars. Ledgers add those integers, so totals never drift.
 */
import type { Usage } from '../core/types.js';

/** A model's price as written in config: USD per 1M tokens. */
export interface Price {
  inputPerMTok: string | number;
  outputPerMTok: string | number;
  /** Prompt tokens read from the provider cache. Default: the input price (no discount assumed). */
  cachedInputPerMTok?: string | number;
  /** Prompt tokens written to the provider cache (Anthropic). Default: the input price. */
  cacheWritePerMTok?: string | number;
}

/** A parsed price: integer micro-dollars per 1M tokens. Immutable; parse once at config load. */
export interface ParsedPrice {
  readonly inputMicrosPerMTok: number;
  readonly outputMicrosPerMTok: number;
  readonly cachedInputMicrosPerMTok: number;
  readonly cacheWriteMicrosPerMTok: number;
}

const MICROS_PER_USD = 1_000_000;
const TOKENS_PER_PRICE_UNIT = 1_000_000; // prices are per 1M tokens
const DECIMAL = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Pure. A non-negative USD amount (decimal string or number) → integer micro-dollars, exactly.
 * Throws RangeError on malformed, negative, sub-micro-dollar (more than 6 decimals after scaling) or unsafe values.
 */
export function parseUsdToMicros(value: string | number): number {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new RangeError(`invalid USD amount: ${JSON.stringify(value)}`);
  const intDigits = m[1] ?? '';
  const fracDigits = m[2] ?? '';
  // Shift the decimal point: value = digits × 10^(exp − fracLen); we want value × 10^6.
  const exp = Number(m[3] ?? '0') + 6 - fracDigits.length;
  let digits = (intDigits + fracDigits).replace(/^0+/, '') || '0';
  if (exp >= 0) {
    if (digits !== '0') digits += '0'.repeat(exp);
  } else {
    const drop = -exp;
    const dropped = digits.length > drop ? digits.slice(digits.length - drop) : digits;
    if (/[1-9]/.test(dropped)) {
      throw new RangeError(`USD amount ${JSON.stringify(value)} is finer than one micro-dollar`);
    }
    digits = digits.length > drop ? digits.slice(0, digits.length - drop) : '0';
  }
  const micros = Number(digits);
  if (!Number.isSafeInteger(micros)) throw new RangeError(`USD amount ${JSON.stringify(value)} is too large`);
  return micros;
}

/** Pure. Config price → integer micro-dollars per 1M tokens. Throws RangeError on a bad amount. */
export function parsePrice(price: Price): ParsedPrice {
  const input = parseUsdToMicros(price.inputPerMTok);
  return Object.freeze({
    inputMicrosPerMTok: input,
    outputMicrosPerMTok: parseUsdToMicros(price.outputPerMTok),
    cachedInputMicrosPerMTok: price.cachedInputPerMTok === undefined ? input : parseUsdToMicros(price.cachedInputPerMTok),
    cacheWriteMicrosPerMTok: price.cacheWritePerMTok === undefined ? input : parseUsdToMicros(price.cacheWritePerMTok),
  });
}

function asParsed(price: Price | ParsedPrice): ParsedPrice {
  return 'inputMicrosPerMTok' in price ? price : parsePrice(price);
}

type Term = readonly [tokens: number, microsPerMTok: number];

/**
 * Σ tokens × price, divided by 1M and rounded (half-up, or up), all in integers. Uses plain numbers while every
 * intermediate is a safe integer (the common case, no allocation) and BigInt otherwise.
 */
function roundedMicros(terms: readonly Term[], roundUp: boolean): number {
  let sum = 0;
  let safe = true;
  for (const [t, p] of terms) {
    const prod = t * p;
    sum += prod;
    if (!Number.isSafeInteger(prod) || !Number.isSafeInteger(sum)) {
      safe = false;
      break;
    }
  }
  const bias = roundUp ? TOKENS_PER_PRICE_UNIT - 1 : TOKENS_PER_PRICE_UNIT / 2;
  if (safe && Number.isSafeInteger(sum + bias)) {
    const a = sum + bias;
    return (a - (a % TOKENS_PER_PRICE_UNIT)) / TOKENS_PER_PRICE_UNIT;
  }
  let big = 0n;
  for (const [t, p] of terms) big += BigInt(t) * BigInt(p);
  const result = (big + BigInt(bias)) / BigInt(TOKENS_PER_PRICE_UNIT);
  if (result > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('cost exceeds the safe integer range');
  return Number(result);
}

function tokenCount(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`token count must be a non-negative integer, got ${v}`);
  return v;
}

/**
 * Pure. Cost of one request in integer micro-dollars: cached prompt tokens at the cached price, cache-write tokens
 * at the write price, the rest of the prompt at the input price, completion at the output price; the exact sum
 * rounded half-up once. `cachedTokens + cacheWriteTokens` are subsets of `promptTokens`; if an upstream reports
 * more than the whole, the uncached remainder counts as 0 (never negative). Throws RangeError on negative or
 * non-integer token counts.
 */
export function costMicros(usage: Usage, price: Price | ParsedPrice): number {
  const p = asParsed(price);
  const prompt = tokenCount(usage.promptTokens);
  const cached = tokenCount(usage.cachedTokens);
  const written = tokenCount(usage.cacheWriteTokens);
  const uncached = Math.max(0, prompt - cached - written);
  return roundedMicros(
    [
      [uncached, p.inputMicrosPerMTok],
      [cached, p.cachedInputMicrosPerMTok],
      [written, p.cacheWriteMicrosPerMTok],
      [tokenCount(usage.completionTokens), p.outputMicrosPerMTok],
    ],
    false,
  );
}

/**
 * Pure. Upper bound of a request's cost for a budget reservation: every prompt token at the dearer of the input
 * and cache-write prices (a request may write its whole prompt to the cache), `maxOutputTokens` at the output
 * price (the caller multiplies by `n` for several choices), rounded up. Always ≥ the final `costMicros` when the
 * real usage stays within these counts.
 */
export function worstCaseCostMicros(promptTokens: number, maxOutputTokens: number, price: Price | ParsedPrice): number {
  const p = asParsed(price);
  return roundedMicros(
    [
      [tokenCount(promptTokens), Math.max(p.inputMicrosPerMTok, p.cacheWriteMicrosPerMTok)],
      [tokenCount(maxOutputTokens), p.outputMicrosPerMTok],
    ],
    true,
  );
}

/** Pure. Integer micro-dollars → exact USD decimal string ("0.000150"), for headers, logs and the admin API. */
export function microsToUsd(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micro-dollars must be a safe integer, got ${micros}`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const frac = String(abs % MICROS_PER_USD).padStart(6, '0');
  return `${sign}${whole}.${frac}`;
}
