/**
 * A Presidio analyzer (`POST {url}` — the analyzer's `/analyze` — with `{text, language, entities?,
 * score_threshold?}`; the answer is a list of `{entity_type, start, end, score}`). One call per text (the API
 * takes one). Presidio is Python: its offsets count code points, converted here to the UTF-16 offsets JavaScript
 * strings use (they differ after an emoji or another character outside the BMP).
 */
import { GuardUnavailableError } from '../async-guard.js';
import { postJson } from './http-json.js';
import type { ExternalCheck, PresidioSpan } from './types.js';

export async function analyzePresidio(
  input: ExternalCheck,
  signal: AbortSignal,
  opts: { url: string; apiKey?: string; language: string; entities: readonly string[]; threshold?: number },
): Promise<PresidioSpan[]> {
  const calls = input.turns.map(async (t, i) => {
    if (!t.text.trim()) return [];
    const body: Record<string, unknown> = { text: t.text, language: opts.language };
    if (opts.entities.length) body.entities = opts.entities;
    if (opts.threshold !== undefined) body.score_threshold = opts.threshold;
    const res = await postJson(opts.url, body, { signal, apiKey: opts.apiKey, what: 'the Presidio analyzer' });
    if (!Array.isArray(res)) throw new GuardUnavailableError('malformed_verdict', 'the Presidio analyzer answered something other than a list of results');
    const toUtf16 = codePointOffsets(t.text);
    const spans: PresidioSpan[] = [];
    for (const r of res as Record<string, unknown>[]) {
      const { entity_type: type, start, end, score } = r ?? {};
      if (typeof type !== 'string' || !Number.isInteger(start) || !Number.isInteger(end) || typeof score !== 'number' || (start as number) < 0 || (end as number) <= (start as number) || (end as number) >= toUtf16.length) {
        throw new GuardUnavailableError('malformed_verdict', 'the Presidio analyzer answered a result without a valid entity_type, start, end and score');
      }
      if (opts.threshold !== undefined && score < opts.threshold) continue;
      spans.push({ text: i, entityType: type, start: toUtf16[start as number]!, end: toUtf16[end as number]!, score });
    }
    return spans;
  });
  return (await Promise.all(calls)).flat();
}

/** For each code-point offset 0…n (inclusive), the UTF-16 offset. */
function codePointOffsets(text: string): number[] {
  const out = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    out.push(u);
  }
  return out;
}
