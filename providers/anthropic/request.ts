import type { ChatRequest } from '../../src/core/types.js';
import { ProviderError, type Target } from '../types.js';
import { toAnthropicMessages } from './messages.js';
import { refuseUntranslatable } from '../../src/core/passthrough.js';
import { splitStops } from './stop.js';
import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice } from './wire.js';

/** Knobs of the request translation; all optional. */
export interface AnthropicRequestOptions {
  /** `max_tokens` when the client gave none (Anthropic requires it). Default 4096. */
  defaultMaxTokens?: number;
  /**
   * How `response_format: json_schema` is honoured. 'auto' (default): strict schemas go to Anthropic's native
   * structured outputs (`output_config.format`, whose schema rules match OpenAI strict mode), other schemas
   * become a system instruction; strict function tools stay strict. 'instruction': always the instruction, and
   * tools lose `strict` (for models without structured outputs).
   */
  structuredOutputs?: 'auto' | 'instruction';
  /**
   * Whether to forward temperature/top_p. 'auto' (default) drops them for models known to reject them
   * (Claude Opus 4.7+, generation 5+: "temperature is deprecated for this model"; the SDK 1.x types no longer
   * list them) and sends them otherwise.
   */
  samplingParams?: 'auto' | 'send' | 'drop';
}

/** The Messages body we send: the SDK's params plus the sampling knobs older models still take. */
export type AnthropicWireRequest = AnthropicRequest & { stream?: boolean; temperature?: number; top_p?: number };

/** Claude models that answer 400 to any temperature/top_p (matched on the upstream id, dated or not). */
export function rejectsSamplingParams(model: string): boolean {
  return /claude-opus-4-(?:[7-9]|\d\d)(?!\d)|claude-[a-z]+-(?:[5-9]|\d\d)(?:\b|-)/.test(model);
}

type Body = Record<string, any>;

/**
 * Neutral request → Anthropic Messages body. Pure; throws ProviderError('bad_request') for what cannot be
 * translated (n > 1, legacy functions, audio output, unsupported content). Parameters Anthropic has no equivalent
 * for (seed, logprobs, frequency/presence penalties, logit_bias, OpenAI `metadata`) are dropped.
 */
export function toAnthropicRequest(req: ChatRequest, target: Target, opts: AnthropicRequestOptions = {}): AnthropicWireRequest {
  const body = req.body as Body;
  refuseUntranslatable(req, 'anthropic');
  if (req.n > 1) throw new ProviderError('bad_request', 'n > 1 is not supported by anthropic models', { status: 400, param: 'n' });
  // Legacy function calling: answering without the functions (what dropping them would do) looks like a model
  // that chose not to call one. Clients should use tools / tool_choice, which translate.
  const legacy = Array.isArray(body.functions) && body.functions.length > 0 ? 'functions' : body.function_call != null && body.function_call !== 'none' ? 'function_call' : undefined;
  if (legacy) {
    throw new ProviderError('bad_request', `'${legacy}' is not supported by anthropic models; use 'tools' and 'tool_choice'.`, { status: 400, param: legacy });
  }
  // Claude answers in text only: a client asking for audio would get none, and find `message.audio` missing.
  if (Array.isArray(body.modalities) && body.modalities.includes('audio')) {
    throw new ProviderError('bad_request', 'Audio output is not supported by anthropic models.', { status: 400, param: 'modalities' });
  }
  if (body.audio != null) throw new ProviderError('bad_request', 'Audio output is not supported by anthropic models.', { status: 400, param: 'audio' });
  const { system, messages } = toAnthropicMessages(req.messages);
  const out: AnthropicWireRequest = {
    model: target.upstreamModel,
    max_tokens: req.maxOutputTokens ?? opts.defaultMaxTokens ?? 4096,
    messages,
  };
  const systemParts = system ? [system] : [];

  // OpenAI's temperature range is 0..2, Anthropic's 0..1: values above 1 are clamped (not rescaled) so the
  // common 0..1 settings keep their meaning. Recent Claude models reject temperature and top_p together;
  // OpenAI's own advice is to set one, so temperature wins when both are given.
  const sampling = opts.samplingParams ?? 'auto';
  if (sampling === 'send' || (sampling === 'auto' && !rejectsSamplingParams(target.upstreamModel))) {
    if (typeof body.temperature === 'number') out.temperature = Math.min(1, Math.max(0, body.temperature));
    else if (typeof body.top_p === 'number') out.top_p = body.top_p;
  }

  // Anthropic rejects whitespace-only sequences: the gateway cuts the answer at those itself (stop.ts).
  const stops = splitStops(body.stop).upstream;
  if (stops.length > 0) out.stop_sequences = stops;
  // OpenAI's end-user id: `safety_identifier`, or the older `user` it replaces. Anthropic has one such field.
  const endUser = [body.safety_identifier, body.user].find((u): u is string => typeof u === 'string' && u !== '');
  if (endUser) out.metadata = { user_id: endUser };

  const tools = toTools(body.tools, opts.structuredOutputs !== 'instruction');
  if (tools.length > 0) {
    out.tools = tools;
    const choice = toToolChoice(body.tool_choice, body.parallel_tool_calls === false);
    if (choice) out.tool_choice = choice;
  }

  const format = body.response_format as Body | undefined;
  if (format?.type === 'json_schema') {
    const schema = format.json_schema?.schema ?? {};
    if (format.json_schema?.strict === true && opts.structuredOutputs !== 'instruction') {
      out.output_config = { format: { type: 'json_schema', schema } };
    } else {
      systemParts.push(`Respond only with a single JSON value, no prose and no code fences, that validates against this JSON schema:\n${JSON.stringify(schema)}`);
    }
  } else if (format?.type === 'json_object') {
    systemParts.push('Respond only with a single valid JSON object, no prose and no code fences.');
  }
  if (systemParts.length > 0) out.system = systemParts.join('\n\n');
  if (req.stream) out.stream = true;
  return out;
}

export function toAnthropicBody(req: ChatRequest, target: Target, opts?: AnthropicRequestOptions): string {
  return JSON.stringify(toAnthropicRequest(req, target, opts));
}

/** `strict` (OpenAI's schema-following guarantee) is kept where native structured outputs are in use. */
function toTools(tools: unknown, strict: boolean): AnthropicTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t: Body, i): AnthropicTool => {
    if (t?.type !== 'function' || !t.function?.name) {
      throw new ProviderError('bad_request', 'Only function tools are supported by anthropic models.', { status: 400, param: `tools[${i}]` });
    }
    const fn = t.function;
    return {
      name: fn.name,
      ...(fn.description ? { description: fn.description } : {}),
      input_schema: { type: 'object', properties: {}, ...(fn.parameters ?? {}) },
      ...(strict && fn.strict === true ? { strict: true } : {}),
    };
  });
}

function toToolChoice(choice: unknown, noParallel: boolean): AnthropicToolChoice | undefined {
  const extra = noParallel ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...extra };
  const c = choice as Body | undefined;
  if (c && typeof c === 'object' && c.type === 'function' && c.function?.name) return { type: 'tool', name: c.function.name, ...extra };
  // 'auto', absent, or a shape Anthropic has no equivalent for (allowed_tools, custom): the model decides.
  return noParallel ? { type: 'auto', ...extra } : choice === 'auto' ? { type: 'auto' } : undefined;
}
