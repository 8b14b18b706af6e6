/**
 * Format-owned data (design.md "Several wire formats, one pipeline"). An ingress whose wire format has more than
 * the neutral request can hold (Anthropic's thinking blocks and signatures, cache_control, server tools…) keeps
 * the client's own body here. A provider of the same format sends that body (with the guarded texts put back
 * in); every other provider translates the neutral request and refuses, with a 400 naming the field, what
 * `untranslatable` lists. Stages never read it: they work on the neutral messages, whose texts `slots` tie
 * back to the native body.
 */
import { ProviderError } from '../../providers/types.js';
import type { ChatMessage, ChatRequest } from './types.js';

/** Where one text of the native body lives in the neutral messages. */
export interface TextSlot {
  /** Path of the string in the native body (keys and indexes). */
  path: readonly (string | number)[];
  /** Neutral message index. */
  msg: number;
  /** Content part index; absent when the message content is a string. */
  part?: number;
  /**
   * `args`: the native value is an object, the neutral text its JSON (a tool call's arguments, `part` = call index);
   * `call`: the native value is that JSON text itself.
   */
  kind?: 'args' | 'call';
}

export interface AnthropicPassthrough {
  readonly format: 'anthropic';
  /** The Messages body as the client sent it (model and stream are set per attempt). */
  readonly body: Readonly<Record<string, unknown>>;
  /** `anthropic-version` and `anthropic-beta` as the client sent them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly slots: readonly TextSlot[];
  /** The neutral messages the slots point into, as decoded: when the request still has these, the body is unchanged. */
  readonly messages: readonly ChatMessage[];
  /** What another format cannot carry: the first is the 400 a cross-format target answers. */
  readonly untranslatable: readonly { param: string; message: string }[];
}

/**
 * An embeddings request: not a conversation at all, so only a target that speaks the embeddings API (OpenAI and
 * compatible servers) takes it; its inputs are neutral user messages so guards and token counts see them.
 */
export interface EmbeddingsPassthrough {
  readonly format: 'embeddings';
  readonly body: Readonly<Record<string, unknown>>;
  readonly slots: readonly TextSlot[];
  readonly messages: readonly ChatMessage[];
  readonly untranslatable: readonly { param: string; message: string }[];
}

/** An OpenAI Responses request: OpenAI targets with the Responses API take the body; others get the translation. */
export interface ResponsesPassthrough {
  readonly format: 'responses';
  readonly body: Readonly<Record<string, unknown>>;
  readonly slots: readonly TextSlot[];
  readonly messages: readonly ChatMessage[];
  readonly untranslatable: readonly Untranslatable[];
}

/** A field a translated target cannot be sent; `formats` limits the refusal to those target formats. */
export interface Untranslatable {
  param: string;
  message: string;
  formats?: readonly string[];
}

export type RequestPassthrough = AnthropicPassthrough | EmbeddingsPassthrough | ResponsesPassthrough;

/**
 * Throws the 400 for a cross-format target (one that does not speak `format`) when the request carries
 * something that target cannot be sent.
 */
export function refuseUntranslatable(req: ChatRequest, targetFormat: string): void {
  const pt = req.passthrough;
  if (!pt || pt.format === targetFormat) return;
  const first = (pt.untranslatable as readonly Untranslatable[]).find((u) => !u.formats || u.formats.includes(targetFormat));
  if (first) throw new ProviderError('bad_request', first.message, { status: 400, param: first.param });
}

/**
 * The native body with the texts of the request's (guarded) neutral messages put back: a guard that rewrote a
 * text (PII pseudonymised) changes the body sent upstream too. Unchanged messages give the client's body as is.
 */
export function nativeBody(pt: RequestPassthrough, messages: readonly ChatMessage[]): Record<string, unknown> {
  if (messages === pt.messages) return { ...pt.body };
  const body = structuredClone(pt.body) as Record<string, unknown>;
  for (const slot of pt.slots) {
    const text = neutralText(messages[slot.msg], slot);
    if (text === undefined) continue;
    let at: any = body;
    for (const k of slot.path.slice(0, -1)) at = at[k];
    const last = slot.path[slot.path.length - 1];
    if (slot.kind === 'args') {
      try {
        at[last] = JSON.parse(text);
      } catch {
        // A guard never makes valid JSON invalid (it replaces JSON-escaped values); keep the original if it did.
      }
    } else at[last] = text;
  }
  return body;
}

function neutralText(m: ChatMessage | undefined, slot: TextSlot): string | undefined {
  if (!m) return undefined;
  if (slot.kind === 'args' || slot.kind === 'call') {
    const calls = (m as { tool_calls?: { function?: { arguments?: string } }[] }).tool_calls;
    return calls?.[slot.part!]?.function?.arguments;
  }
  const c = (m as { content?: unknown }).content;
  if (slot.part === undefined) return typeof c === 'string' ? c : undefined;
  const p = Array.isArray(c) ? (c[slot.part] as { text?: unknown } | undefined) : undefined;
  return typeof p?.text === 'string' ? p.text : undefined;
}

/**
 * Format-owned data on an answer from a same-format provider: the native body (non-streamed) or the native
 * event (streamed) it was decoded from. Not enumerable, so it never reaches a serialised neutral answer or the
 * response cache.
 */
export interface AnswerPassthrough {
  format: 'anthropic' | 'embeddings' | 'responses';
  /** Streamed: the SSE event name and its data as received. */
  event?: string;
  data?: string;
  /** Non-streamed: the native message body. */
  message?: Record<string, unknown>;
  /** Streamed: the texts as decoded into the neutral chunk, to tell whether stage 8 changed them. */
  text?: string;
  args?: string;
}

const KEY = Symbol.for('gateway.passthrough');

export function attachPassthrough<T extends object>(answer: T, pt: AnswerPassthrough): T {
  Object.defineProperty(answer, KEY, { value: pt, enumerable: false });
  return answer;
}

export const passthroughOf = (answer: object): AnswerPassthrough | undefined => (answer as Record<symbol, AnswerPassthrough>)[KEY];
