/**
 * External guardrail services a platform team already runs, behind one interface: the generic HTTP hook, the
 * OpenAI moderation endpoint and a Presidio analyzer. Each call is bounded by the service's `timeoutMs`; every
 * failure is a GuardUnavailableError for the pipeline's `onError`.
 */
import { withDeadline } from '../async-guard.js';
import { checkHttpHook } from './http-hook.js';
import { checkOpenAIModeration } from './openai-moderation.js';
import { analyzePresidio } from './presidio.js';
import type { ExternalCheck, ExternalVerdict, PresidioSpan } from './types.js';

export { presidioCategory } from './presidio-categories.js';
export type { ExternalCheck, ExternalVerdict, PresidioSpan } from './types.js';

export interface ExternalServiceConfig {
  name: string;
  kind: 'http' | 'openai-moderation' | 'presidio';
  url: string;
  apiKeyEnv?: string;
  timeoutMs: number;
  model: string;
  categories: readonly string[];
  threshold?: number;
  language: string;
  entities: readonly string[];
}

/** The audit / metrics name of a service kind. */
export const EXTERNAL_GUARD_NAMES = { http: 'http_hook', 'openai-moderation': 'openai_moderation', presidio: 'presidio' } as const;

/** The key read from the environment at each call (a rotated secret counts at once); never logged. */
const apiKey = (s: ExternalServiceConfig, env: NodeJS.ProcessEnv) => (s.apiKeyEnv ? env[s.apiKeyEnv] : undefined);

/** A verdict from a hook or moderation service. */
export function checkExternal(s: ExternalServiceConfig, input: ExternalCheck, env: NodeJS.ProcessEnv = process.env): Promise<ExternalVerdict> {
  const what = `external guard ${s.name}`;
  return withDeadline(
    s.timeoutMs,
    (signal) =>
      s.kind === 'http'
        ? checkHttpHook(input, signal, s.url, apiKey(s, env))
        : checkOpenAIModeration(input, signal, { url: s.url, apiKey: apiKey(s, env), model: s.model, categories: s.categories, threshold: s.threshold }),
    what,
  );
}

/** Presidio's spans over each of `input.turns`. */
export function analyzeExternal(s: ExternalServiceConfig, input: ExternalCheck, env: NodeJS.ProcessEnv = process.env): Promise<PresidioSpan[]> {
  return withDeadline(
    s.timeoutMs,
    (signal) => analyzePresidio(input, signal, { url: s.url, apiKey: apiKey(s, env), language: s.language, entities: s.entities, threshold: s.threshold }),
    `external guard ${s.name}`,
  );
}
