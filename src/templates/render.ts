/**
 * The `{{name}}` renderer, written by hand: twenty lines, no logic (no conditionals, loops, partials or escaping
 * rules to learn), and single-pass — a value that itself contains `{{x}}` is inserted as text, never expanded, so
 * a variable filled from user input cannot pull other variables (or anything else) into the prompt. Whitespace
 * inside the braces is allowed (`{{ name }}`); anything else between braces is literal text.
 */
import { GatewayError } from '../core/errors.js';
import type { TemplateMessage } from '../state/templates.js';

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

/** The variables `messages` use, sorted and unique. */
export function variablesOf(messages: readonly TemplateMessage[]): string[] {
  const names = new Set<string>();
  for (const m of messages) for (const match of m.content.matchAll(VARIABLE)) names.add(match[1]!);
  return [...names].sort();
}

/**
 * A variable's value as text: a string, a number or boolean (written as JSON does), or a Responses `input_text`
 * part (what OpenAI's own `prompt.variables` accept besides strings). Images and files are refused by name.
 */
function textOf(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'input_text' && typeof (value as { text?: unknown }).text === 'string') {
    return (value as { text: string }).text;
  }
  throw new GatewayError('invalid_request', `Invalid value for prompt variable '${name}': expected a string, a number, a boolean or an input_text part (gateway templates take text only).`, { param: `prompt.variables.${name}` });
}

/**
 * Fills every `{{name}}` of `messages` from `variables`. The variables given must be exactly the ones the
 * messages use: missing and unexpected names are one 400 that lists them all (so a client fixes them at once).
 */
export function renderMessages(templateId: string, version: number, messages: readonly TemplateMessage[], variables: Record<string, unknown>): TemplateMessage[] {
  const expected = variablesOf(messages);
  const given = Object.keys(variables);
  const missing = expected.filter((n) => !Object.hasOwn(variables, n));
  const extra = given.filter((n) => !expected.includes(n)).sort();
  if (missing.length || extra.length) {
    const parts = [
      missing.length ? `missing variable${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')}` : '',
      extra.length ? `unexpected variable${extra.length > 1 ? 's' : ''} ${extra.map((n) => `'${n}'`).join(', ')}` : '',
    ].filter(Boolean);
    const uses = expected.length ? `it uses ${expected.map((n) => `'${n}'`).join(', ')}` : 'it uses none';
    throw new GatewayError('invalid_request', `Prompt template '${templateId}' version ${version}: ${parts.join('; ')} (${uses}).`, { param: 'prompt.variables' });
  }
  const text = new Map(given.map((n) => [n, textOf(n, variables[n])]));
  return messages.map((m) => ({ role: m.role, content: m.content.replace(VARIABLE, (_, name: string) => text.get(name)!) }));
}
