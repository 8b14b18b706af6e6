/**
 * Reading a judge model's answer. Two formats: Llama Guard's (`safe`, or `unsafe` and a line of violated
 * categories, `S1,S10`) and a JSON object `{"verdict": "safe" | "unsafe", "categories"?: [...], "reason"?: "..."}`
 * for any instruction-following model. Anything else is not a verdict: GuardUnavailableError('malformed_verdict'),
 * so the team's `onError` decides, never a silent pass.
 */
import { GuardUnavailableError } from '../async-guard.js';

export type JudgeFormat = 'llama-guard' | 'json';

export interface JudgeVerdict {
  unsafe: boolean;
  /** Violated categories as the judge named them (Llama Guard: `S1`…; JSON: whatever it lists). */
  categories: string[];
}

const malformed = (why: string) => new GuardUnavailableError('malformed_verdict', `the judge's answer is not a verdict: ${why}`);

/** Llama Guard 3/4: first line `safe` or `unsafe`, then the categories, comma-separated (whitespace tolerated). */
export function parseLlamaGuard(answer: string): JudgeVerdict {
  const lines = answer.trim().split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const head = lines[0]?.toLowerCase();
  if (head === 'safe') return { unsafe: false, categories: [] };
  if (head !== 'unsafe') throw malformed(`first line is not "safe" or "unsafe"`);
  const categories = (lines[1] ?? '').split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
  if (categories.some((c) => !/^S\d{1,2}$/.test(c))) throw malformed('categories are not S1…S14');
  return { unsafe: true, categories };
}

const SAFE = new Set(['safe', 'allow', 'pass']);
const UNSAFE = new Set(['unsafe', 'block', 'deny']);

/**
 * The first JSON object in the answer (models wrap it in a code fence or a sentence often enough): its `verdict`
 * must be one of safe/allow/pass or unsafe/block/deny.
 */
export function parseJsonVerdict(answer: string): JudgeVerdict {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end < start) throw malformed('no JSON object');
  let obj: unknown;
  try {
    obj = JSON.parse(answer.slice(start, end + 1));
  } catch {
    throw malformed('invalid JSON');
  }
  const verdict = (obj as { verdict?: unknown })?.verdict;
  const v = typeof verdict === 'string' ? verdict.trim().toLowerCase() : undefined;
  if (!v || (!SAFE.has(v) && !UNSAFE.has(v))) throw malformed('"verdict" is not "safe" or "unsafe"');
  const cats = (obj as { categories?: unknown }).categories;
  const categories = Array.isArray(cats) ? cats.filter((c): c is string => typeof c === 'string').map((c) => c.trim()).filter(Boolean) : [];
  return { unsafe: UNSAFE.has(v), categories };
}

export function parseVerdict(format: JudgeFormat, answer: string): JudgeVerdict {
  return format === 'llama-guard' ? parseLlamaGuard(answer) : parseJsonVerdict(answer);
}

/** Whether a verdict is a hit for a team: unsafe, and (when the team lists categories) in one of them. */
export function countsAsHit(v: JudgeVerdict, categories: readonly string[]): boolean {
  if (!v.unsafe) return false;
  if (!categories.length) return true;
  const wanted = new Set(categories.map((c) => c.toUpperCase()));
  // An unsafe verdict without categories cannot be matched against the list: it counts (fail safe).
  return v.categories.length === 0 || v.categories.some((c) => wanted.has(c.toUpperCase()));
}
