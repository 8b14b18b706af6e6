/**
 * The fake upstream's OpenAI dialect: `/v1/chat/completions` (plain and streamed), `/v1/embeddings`,
 * `/v1/models`. Answers are deterministic functions of the request (see fake-text.ts).
 */
import { answerPieces, applyStop, forcedTools, fragments, promptTokens, sampleArguments } from './fake-text.js';

/** What the fake sends: a JSON body, or SSE frames (each already terminated by a blank line). */
export type FakeAnswer = { status: number; json: unknown } | { status: number; events: string[] };

let counter = 0;
const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).padStart(8, '0')}`;

type Msg = { role?: string; content?: unknown };
type Body = Record<string, any>;

function lastTextAndImages(messages: Msg[]): { text: string; images: number } {
  const last = messages[messages.length - 1];
  if (!last) return { text: '', images: 0 };
  if (typeof last.content === 'string') return { text: last.content, images: 0 };
  let text = '';
  let images = 0;
  for (const part of Array.isArray(last.content) ? (last.content as Body[]) : []) {
    if (part?.type === 'text') text += (text ? ' ' : '') + String(part.text ?? '');
    if (part?.type === 'image_url') images++;
  }
  return { text, images };
}

export function openAIError(status: number, message: string, code: string | null = null, param: string | null = null) {
  const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { status, json: { error: { message, type, param, code } } };
}

export function openAIChat(body: Body): FakeAnswer {
  if (typeof body?.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
    return openAIError(400, "Missing required parameter: 'messages'.", 'missing_required_parameter', 'messages');
  }
  const model: string = body.model;
  const n = Number(body.n ?? 1);
  const { text, images } = lastTextAndImages(body.messages);
  const stops: string[] = body.stop == null ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
  let { pieces } = applyStop(answerPieces(model, text, images), stops);
  let finish: string = 'stop';
  const cap = body.max_completion_tokens ?? body.max_tokens;
  if (typeof cap === 'number' && pieces.length > cap) [pieces, finish] = [pieces.slice(0, cap), 'length'];

  const tools: Body[] = Array.isArray(body.tools) ? body.tools : [];
  const tc = body.tool_choice;
  const choice =
    tc === 'required'
      ? { kind: 'required' as const }
      : tc && typeof tc === 'object'
        ? { kind: 'named' as const, name: tc.function?.name }
        : { kind: 'auto' as const };
  const called = forcedTools(tools.map((t) => t.function?.name), choice, body.parallel_tool_calls !== false);
  const calls = called.map((name) => {
    const def = tools.find((t) => t.function?.name === name);
    return { id: nextId('call_'), name, args: JSON.stringify(sampleArguments(def?.function?.parameters, text)) };
  });
  if (calls.length > 0) [pieces, finish] = [[], 'tool_calls'];

  const usage = {
    prompt_tokens: promptTokens(body.messages) + promptTokens(tools) - (tools.length ? 1 : 0),
    completion_tokens: (pieces.length + calls.reduce((a, c) => a + promptTokens(c.args), 0)) * n,
    total_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const id = nextId('chatcmpl-fake');
  const created = Math.floor(Date.now() / 1000);
  const base = { id, created, model, system_fingerprint: 'fp_fake', service_tier: 'default' };

  if (!body.stream) {
    const message: Body = { role: 'assistant', content: calls.length ? null : pieces.join(''), refusal: null, annotations: [] };
    if (calls.length) {
      message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
    }
    const choices = Array.from({ length: n }, (_, index) => ({ index, message, logprobs: null, finish_reason: finish }));
    return { status: 200, json: { ...base, object: 'chat.completion', choices, usage } };
  }

  const events: string[] = [];
  const chunk = (choices: unknown[], extra: Body = {}) =>
    events.push(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
  const delta = (index: number, d: Body, finish_reason: string | null = null) => ({ index, delta: d, logprobs: null, finish_reason });
  for (let i = 0; i < n; i++) chunk([delta(i, { role: 'assistant', content: '', refusal: null })]);
  for (const piece of pieces) for (let i = 0; i < n; i++) chunk([delta(i, { content: piece })]);
  calls.forEach((c, k) => {
    for (let i = 0; i < n; i++) {
      chunk([delta(i, { tool_calls: [{ index: k, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] })]);
      for (const f of fragments(c.args)) chunk([delta(i, { tool_calls: [{ index: k, function: { arguments: f } }] })]);
    }
  });
  for (let i = 0; i < n; i++) chunk([delta(i, {}, finish)]);
  if (body.stream_options?.include_usage) chunk([], { usage });
  events.push('data: [DONE]\n\n');
  return { status: 200, events };
}

/** Feature-hashed bag of words, L2-normalised: stable, and texts sharing words land close together. */
export function embedText(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    v[(h >>> 1) % dims] += h & 1 ? 1 : -1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm === 0) v[0] = 1;
  else for (let i = 0; i < dims; i++) v[i] /= Math.sqrt(norm);
  return v;
}

export function openAIEmbeddings(body: Body): FakeAnswer {
  const inputs: unknown[] = Array.isArray(body?.input) ? body.input : [body?.input];
  if (typeof body?.model !== 'string' || inputs.some((x) => typeof x !== 'string')) {
    return openAIError(400, "'input' must be a string or an array of strings.", null, 'input');
  }
  const dims = Number(body.dimensions ?? (String(body.model).includes('large') ? 3072 : 1536));
  const data = (inputs as string[]).map((text, index) => {
    const vec = embedText(text, dims);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(vec.buffer).toString('base64') : Array.from(vec);
    return { object: 'embedding', index, embedding };
  });
  const tokens = (inputs as string[]).reduce((a, t) => a + promptTokens(t), 0);
  return { status: 200, json: { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

export function openAIModels(): FakeAnswer {
  const data = ['gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-small'].map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'system' }));
  return { status: 200, json: { object: 'list', data } };
}
