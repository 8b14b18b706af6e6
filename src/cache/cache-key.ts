/**
 * Cache keys. The namespace hashes everything that changes the answer except the last user turn (scope, route
 * variant, system prompt, earlier turns, tools, tool_choice, response_format, sampling parameters, output limits,
 * stop, seed, n…); the exact key adds the last user turn verbatim; the semantic layer embeds that turn's text and
 * searches only inside the namespace. So a paraphrase can hit, but never across teams, system prompts, tools
 * or parameters.
 */
import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/types.js';
import { messageText } from '../pipeline/message-text.js';

export interface CacheKey {
  namespace: string;
  exact: string;
  /** Text to embed for the semantic layer; undefined when the request cannot be matched semantically. */
  queryText?: string;
}

/** Parameters that do not change the answer (transport and bookkeeping). */
const IGNORED = new Set(['model', 'messages', 'stream', 'stream_options', 'user', 'metadata', 'store', 'service_tier', 'prompt_cache_key', 'safety_identifier']);

export function cacheKey(req: ChatRequest, scope: string, model: string): CacheKey {
  const last = req.messages[req.messages.length - 1];
  const lastIsUser = last.role === 'user';
  const context = lastIsUser ? req.messages.slice(0, -1) : req.messages;
  const params: Record<string, unknown> = {};
  for (const k of Object.keys(req.body).sort()) if (!IGNORED.has(k) && req.body[k] !== undefined && req.body[k] !== null) params[k] = req.body[k];
  // The last user turn's non-text parts (images, files) go into the namespace: only its text is compared by meaning.
  const lastNonText = lastIsUser && Array.isArray(last.content) ? last.content.filter((p) => p.type !== 'text') : [];
  const namespace = `${scope}|${model}|${sha256(canonical({ context, params, lastNonText }))}`;
  const exact = sha256(`${namespace}|${canonical(lastIsUser ? last : null)}`);
  const text = lastIsUser ? messageText(last) : '';
  return { namespace, exact, queryText: text.trim() ? text : undefined };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** JSON with sorted object keys, so key order in the client's body does not matter. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}
