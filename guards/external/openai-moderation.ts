/**
 * The OpenAI moderation endpoint (`POST {url}` with `{model, input: string[]}`; the answer's `results[i]` has
 * `flagged`, `categories` {name: boolean} and `category_scores` {name: number} per input). Also what
 * OpenAI-compatible moderation servers speak. A text is a hit when the endpoint flags it — or, when the service
 * lists `categories`, when one of those is true — or when any counted category's score reaches `threshold`.
 */
import { GuardUnavailableError } from '../async-guard.js';
import { postJson } from './http-json.js';
import type { ExternalCheck, ExternalVerdict } from './types.js';

interface ModerationResult {
  flagged?: unknown;
  categories?: Record<string, unknown>;
  category_scores?: Record<string, unknown>;
}

export async function checkOpenAIModeration(
  input: ExternalCheck,
  signal: AbortSignal,
  opts: { url: string; apiKey?: string; model: string; categories: readonly string[]; threshold?: number },
): Promise<ExternalVerdict> {
  const texts = input.turns.map((t) => t.text).filter((t) => t.trim());
  if (!texts.length) return { verdict: 'allow', categories: [] };
  const res = (await postJson(opts.url, { model: opts.model, input: texts }, { signal, apiKey: opts.apiKey, what: 'the moderation endpoint' })) as { results?: unknown };
  const results = res?.results;
  if (!Array.isArray(results) || results.length !== texts.length || results.some((r) => typeof r?.flagged !== 'boolean' || typeof r?.categories !== 'object' || r.categories === null)) {
    throw new GuardUnavailableError('malformed_verdict', 'the moderation endpoint answered without one result (flagged, categories) per input');
  }
  const hit = new Set<string>();
  for (const r of results as ModerationResult[]) {
    if (opts.categories.length) {
      for (const c of opts.categories) if (r.categories![c] === true) hit.add(c);
    } else if (r.flagged === true) {
      const named = Object.entries(r.categories!).filter(([, v]) => v === true).map(([c]) => c);
      for (const c of named.length ? named : ['flagged']) hit.add(c);
    }
    if (opts.threshold !== undefined) {
      for (const c of opts.categories.length ? opts.categories : Object.keys(r.category_scores ?? {})) {
        const score = r.category_scores?.[c];
        if (typeof score === 'number' && score >= opts.threshold) hit.add(c);
      }
    }
  }
  return { verdict: hit.size ? 'block' : 'allow', categories: [...hit].sort() };
}
