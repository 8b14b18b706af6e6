import type { ChatMessage } from '../core/types.js';

/** The text of a message (string content, or its text parts joined with newlines). */
export function messageText(m: ChatMessage): string {
  const c = (m as { content?: unknown }).content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  let out = '';
  for (const part of c) if (part && part.type === 'text' && typeof part.text === 'string') out += (out ? '\n' : '') + part.text;
  return out;
}

/**
 * A copy of the message with every text (content string or text parts) passed through `fn`; the same object
 * when nothing changed. Image, audio and file parts are kept as they are.
 */
export function mapMessageText(m: ChatMessage, fn: (text: string) => string): ChatMessage {
  const c = (m as { content?: unknown }).content;
  if (typeof c === 'string') {
    const t = fn(c);
    return t === c ? m : ({ ...m, content: t } as ChatMessage);
  }
  if (!Array.isArray(c)) return m;
  let changed = false;
  const parts = c.map((part) => {
    if (!part || part.type !== 'text' || typeof part.text !== 'string') return part;
    const t = fn(part.text);
    if (t === part.text) return part;
    changed = true;
    return { ...part, text: t };
  });
  return changed ? ({ ...m, content: parts } as ChatMessage) : m;
}

/**
 * A copy of an assistant message with each tool call's arguments (and a legacy `function_call`'s) passed through
 * `fn`.
 */
export function mapToolArguments(m: ChatMessage, fn: (args: string) => string): ChatMessage {
  if (m.role !== 'assistant') return m;
  const calls = (m as { tool_calls?: { type?: string; function?: { name: string; arguments: string } }[] }).tool_calls;
  const legacy = (m as { function_call?: { name: string; arguments: string } | null }).function_call;
  let out: ChatMessage = m;
  if (Array.isArray(calls)) {
    let changed = false;
    const next = calls.map((tc) => {
      if (!tc.function || typeof tc.function.arguments !== 'string') return tc;
      const a = fn(tc.function.arguments);
      if (a === tc.function.arguments) return tc;
      changed = true;
      return { ...tc, function: { ...tc.function, arguments: a } };
    });
    if (changed) out = { ...out, tool_calls: next } as ChatMessage;
  }
  if (legacy && typeof legacy.arguments === 'string') {
    const a = fn(legacy.arguments);
    if (a !== legacy.arguments) out = { ...out, function_call: { ...legacy, arguments: a } } as ChatMessage;
  }
  return out;
}
