/**
 * Stage 8 text transforms on the answer: redact PII the model writes (optional), then restore the request's
 * pseudonyms. Streams get one transform chain per channel (each choice's content, its refusal, each tool call's
 * arguments, a legacy `function_call`'s arguments), holding back only what a placeholder or a PII value split
 * across chunks needs; held text is released with the choice's finish chunk. A refusal is model-written text
 * like content: it gets the same treatment.
 */
import { createOutputRedactor, type PiiSession, type StreamTransform } from '../../guards/pii/index.js';
import type { ChatChunk, ChatResponse } from '../core/types.js';
import type { TeamGuards } from './team-guards.js';

export interface OutputPlan {
  pii?: PiiSession;
  redact?: TeamGuards['pii'];
}

export const needsOutputTransform = (plan: OutputPlan) => Boolean(plan.pii || plan.redact);

/** Transforms a whole (non-streaming) answer in place. */
export function transformResponse(plan: OutputPlan, response: ChatResponse): void {
  for (const choice of response.choices) {
    const msg = choice.message;
    if (typeof msg.content === 'string') msg.content = whole(plan, msg.content, false);
    if (typeof msg.refusal === 'string') msg.refusal = whole(plan, msg.refusal, false);
    for (const tc of msg.tool_calls ?? []) {
      if (tc.type === 'function') tc.function.arguments = whole(plan, tc.function.arguments, true);
    }
    if (msg.function_call) msg.function_call.arguments = whole(plan, msg.function_call.arguments, true);
  }
}

/** Stage 8 on one whole text, for an encoder's format-owned passthrough data the neutral transform cannot reach. */
export const textTransform = (plan: OutputPlan) => (text: string, json: boolean) => whole(plan, text, json);

function whole(plan: OutputPlan, text: string, json: boolean): string {
  let out = text;
  if (plan.redact) {
    const r = createOutputRedactor(plan.redact.detector, plan.redact.policy);
    out = r.push(out) + r.flush();
  }
  return plan.pii ? plan.pii.restore(out, { json }) : out;
}

/** One per stream: rewrites chunks in place as they pass. */
export interface ChunkTransformer {
  apply(chunk: ChatChunk): void;
}

export function createChunkTransformer(plan: OutputPlan): ChunkTransformer {
  const channels = new Map<string, StreamTransform>();
  const channel = (key: string, json: boolean): StreamTransform => {
    let t = channels.get(key);
    if (!t) {
      t = chain(plan, json);
      channels.set(key, t);
    }
    return t;
  };

  return {
    apply(chunk) {
      for (const choice of chunk.choices) {
        const d = choice.delta;
        if (!d) continue;
        const prefix = `${choice.index}:`;
        if (typeof d.content === 'string' && d.content) d.content = channel(`${prefix}c`, false).push(d.content);
        if (typeof d.refusal === 'string' && d.refusal) d.refusal = channel(`${prefix}r`, false).push(d.refusal);
        for (const tc of d.tool_calls ?? []) {
          if (tc.function?.arguments) tc.function.arguments = channel(`${prefix}t${tc.index}`, true).push(tc.function.arguments);
        }
        if (d.function_call?.arguments) d.function_call.arguments = channel(`${prefix}f`, true).push(d.function_call.arguments);
        if (choice.finish_reason) flushChoice(choice, prefix);
      }
    },
  };

  /** Releases what the choice's channels still hold, into its finish chunk. */
  function flushChoice(choice: ChatChunk['choices'][number], prefix: string) {
    for (const [key, t] of channels) {
      if (!key.startsWith(prefix)) continue;
      const rest = t.flush();
      channels.delete(key);
      if (!rest) continue;
      const kind = key.slice(prefix.length);
      if (kind === 'c') choice.delta.content = (choice.delta.content ?? '') + rest;
      else if (kind === 'r') choice.delta.refusal = (choice.delta.refusal ?? '') + rest;
      else if (kind === 'f') choice.delta.function_call = { ...choice.delta.function_call, arguments: (choice.delta.function_call?.arguments ?? '') + rest };
      else {
        const index = Number(kind.slice(1));
        const calls = (choice.delta.tool_calls ??= []);
        calls.push({ index, function: { arguments: rest } });
      }
    }
  }
}

function chain(plan: OutputPlan, json: boolean): StreamTransform {
  const first = plan.redact ? createOutputRedactor(plan.redact.detector, plan.redact.policy) : undefined;
  const second = plan.pii ? plan.pii.createRestorer({ json }) : undefined;
  return {
    push: (f) => {
      const a = first ? first.push(f) : f;
      return second ? second.push(a) : a;
    },
    flush: () => {
      const a = first ? first.flush() : '';
      return second ? second.push(a) + second.flush() : a;
    },
    get pending() {
      return (first?.pending ?? 0) + (second?.pending ?? 0);
    },
  };
}
