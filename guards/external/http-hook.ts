/**
 * The generic HTTP hook: the gateway POSTs the texts in scope and the service answers a verdict. The JSON both
 * ways is documented in docs/guards.md ("External guardrail services"); a change here is a change of that contract.
 */
import { GuardUnavailableError } from '../async-guard.js';
import { postJson } from './http-json.js';
import type { ExternalCheck, ExternalVerdict } from './types.js';

const HOOK_VERSION = 1;

export async function checkHttpHook(input: ExternalCheck, signal: AbortSignal, url: string, apiKey: string | undefined): Promise<ExternalVerdict> {
  const body = {
    version: HOOK_VERSION,
    requestId: input.requestId,
    team: input.team,
    key: input.key,
    model: input.model,
    messages: input.turns.map((t) => ({ role: t.role, content: t.text })),
  };
  const res = (await postJson(url, body, { signal, apiKey, what: 'the HTTP guard hook' })) as { verdict?: unknown; reason?: unknown; categories?: unknown };
  const verdict = typeof res?.verdict === 'string' ? res.verdict : undefined;
  if (verdict !== 'allow' && verdict !== 'block' && verdict !== 'flag') {
    throw new GuardUnavailableError('malformed_verdict', 'the HTTP guard hook answered without a "verdict" of allow, block or flag');
  }
  const categories = Array.isArray(res.categories) ? res.categories.filter((c): c is string => typeof c === 'string').slice(0, 20) : [];
  return { verdict, categories, reason: typeof res.reason === 'string' ? res.reason.slice(0, 200) : undefined };
}
