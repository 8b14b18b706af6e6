/**
 * OpenAI Embeddings (`POST /v1/embeddings`): each text input is a neutral user message (so the PII guard,
 * prompt guards, token estimates, budgets and TPM limits see it), the body itself is format-owned passthrough
 * that OpenAI-format targets receive with the guarded texts put back, `encoding_format` and `dimensions` as
 * sent; the upstream's answer (base64 or floats) is returned as received. Never cached, never streamed. See
 * docs/ingress-embeddings.md.
 */
import { GatewayError } from '../../core/errors.js';
import { depthBeyond, MAX_BODY_DEPTH } from '../../core/normalise.js';
import { passthroughOf, type EmbeddingsPassthrough, type TextSlot } from '../../core/passthrough.js';
import type { ChatMessage, ChatRequest, OpenAIChatBody } from '../../core/types.js';
import type { Ingress } from '../types.js';

/** OpenAI's own limit on inputs per request. */
const MAX_INPUTS = 2048;

const MAX_DIMENSIONS = 16_384;
const bad = (message: string, param: string) => new GatewayError('invalid_request', message, { param });

function decode(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  // As every other ingress does: a 10,000-level value anywhere in the body overflowed the stack when the body was
  // serialised for the provider, a 500 instead of this 400.
  if (depthBeyond(body, MAX_BODY_DEPTH)) throw new GatewayError('invalid_request', `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
  const b = body as Record<string, any>;
  if (typeof b.model !== 'string' || !b.model) throw bad("Invalid value for 'model': must be a non-empty string.", 'model');
  if (b.encoding_format !== undefined && b.encoding_format !== 'float' && b.encoding_format !== 'base64') {
    throw bad("Invalid value for 'encoding_format': must be 'float' or 'base64'.", 'encoding_format');
  }
  // Bounded (issue 18.2): no embedding model has more than a few thousand dimensions (OpenAI's largest: 3072), and
  // 1e15 reached the upstream (the fake one died allocating it: a 504 after its timeout instead of a 400).
  if (b.dimensions !== undefined && !(Number.isInteger(b.dimensions) && b.dimensions > 0 && b.dimensions <= MAX_DIMENSIONS)) {
    throw bad(`Invalid value for 'dimensions': must be an integer from 1 to ${MAX_DIMENSIONS}.`, 'dimensions');
  }
  const input = b.input;
  const isTokens = (x: unknown) => Array.isArray(x) && x.length > 0 && x.every((n) => Number.isInteger(n) && n >= 0);
  let items: unknown[];
  let path: (i: number) => (string | number)[];
  if (typeof input === 'string' || isTokens(input)) {
    items = [input];
    path = () => ['input'];
  } else if (Array.isArray(input) && input.length > 0) {
    items = input;
    path = (i) => ['input', i];
  } else throw bad("'input' must be a non-empty string, array of strings, array of tokens or array of token arrays.", 'input');
  if (items.length > MAX_INPUTS) throw bad(`'input' has ${items.length} items; at most ${MAX_INPUTS} are allowed.`, 'input');
  const messages: ChatMessage[] = [];
  const slots: TextSlot[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'string') {
      if (!item) throw bad(`'input[${i}]' must not be empty.`, 'input');
      slots.push({ path: path(i), msg: messages.length });
      messages.push({ role: 'user', content: item });
    } else if (isTokens(item)) {
      // Token ids: not text a guard could read; sent as given, counted by the provider's usage.
      messages.push({ role: 'user', content: '' });
    } else throw bad(`'input[${i}]' must be a string or an array of token ids.`, 'input');
  });
  const passthrough: EmbeddingsPassthrough = {
    format: 'embeddings',
    body: b,
    slots,
    messages,
    untranslatable: [{ param: 'model', message: 'Embeddings are only supported by OpenAI and OpenAI-compatible targets.' }],
  };
  const neutral = { model: b.model, messages, ...(typeof b.user === 'string' ? { user: b.user } : {}) } as unknown as OpenAIChatBody;
  return Object.freeze({ model: b.model, messages, stream: false, includeUsage: false, maxOutputTokens: 0, n: 1, body: neutral, passthrough });
}

export const embeddingsIngress: Ingress = {
  api: 'embeddings',
  cacheable: false,
  decode,
  encoder(sink) {
    return {
      begin() {},
      json(response) {
        sink.sendJson(200, passthroughOf(response)?.message ?? { object: 'list', data: [], model: response.model, usage: { prompt_tokens: 0, total_tokens: 0 } });
      },
      start() {
        throw new Error('embeddings never stream');
      },
      async chunk() {},
      async end() {},
      fail(err) {
        for (const [k, v] of Object.entries(err.headers)) sink.setHeader(k, v);
        sink.sendJson(err.status, err.toEnvelope());
      },
    };
  },
};
