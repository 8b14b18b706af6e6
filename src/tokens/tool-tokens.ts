/**
 * Prompt tokens added by tool (function) definitions, per the OpenAI cookbook's function-calling formula
 * ("How to count tokens with tiktoken", `num_tokens_for_tools`): per function 7 (o200k models; 10 for
 * gpt-4/gpt-3.5) + tokens of `name:description`; if it has properties, 3 + per property 3 + tokens of
 * `key:type:description` (+ enum: -3, then 3 + tokens per item); once for the whole list, 12.
 * Trailing periods are dropped from descriptions, as in the cookbook.
 *
 * Where the cookbook's Python would crash we define the behaviour: a missing description or type counts as
 * empty, a type list (`["string","null"]`) is joined with `|`, non-string enum items are stringified, and a
 * `custom` tool counts as a function without parameters. Nested object properties are not expanded (the
 * cookbook does not either), so deeply nested schemas are under-estimated; reported usage corrects this.
 */
import type { EncodingName } from './encoding.js';
import { isRecord } from '../util/is-record.js';

interface ToolCountSettings {
  funcInit: number;
  propInit: number;
  propKey: number;
  enumInit: number;
  enumItem: number;
  funcEnd: number;
}

const O200K_SETTINGS: ToolCountSettings = { funcInit: 7, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12 };
const CL100K_SETTINGS: ToolCountSettings = { ...O200K_SETTINGS, funcInit: 10 };

/** The shape of a function definition we read (OpenAI's `FunctionDefinition`, loosely typed: input is untrusted). */
export interface FunctionLike {
  name?: unknown;
  description?: unknown;
  parameters?: unknown;
}

function stripPeriod(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(asText).join('|');
  if (v === undefined || v === null) return '';
  return String(v);
}

/** The function definitions of an OpenAI `tools` array (function and custom tools); other entries are skipped. */
export function functionsOfTools(tools: readonly unknown[]): FunctionLike[] {
  const out: FunctionLike[] = [];
  for (const t of tools) {
    if (!isRecord(t)) continue;
    if (isRecord(t.function)) out.push(t.function);
    else if (t.type === 'custom' && isRecord(t.custom)) out.push({ name: t.custom.name, description: t.custom.description });
  }
  return out;
}

/** Pure. Tokens for a list of function definitions; 0 for an empty list. `count` encodes one string. */
export function countFunctionTokens(
  functions: readonly FunctionLike[],
  encoding: EncodingName,
  count: (text: string) => number,
): number {
  if (functions.length === 0) return 0;
  const s = encoding === 'cl100k_base' ? CL100K_SETTINGS : O200K_SETTINGS;
  let n = 0;
  for (const f of functions) {
    n += s.funcInit;
    n += count(`${asText(f.name)}:${stripPeriod(asText(f.description))}`);
    const props = isRecord(f.parameters) && isRecord(f.parameters.properties) ? f.parameters.properties : undefined;
    const keys = props ? Object.keys(props) : [];
    if (props && keys.length > 0) {
      n += s.propInit;
      for (const key of keys) {
        n += s.propKey;
        const p = isRecord(props[key]) ? (props[key] as Record<string, unknown>) : {};
        if (Array.isArray(p.enum)) {
          n += s.enumInit;
          for (const item of p.enum) n += s.enumItem + count(asText(item));
        }
        n += count(`${key}:${asText(p.type)}:${stripPeriod(asText(p.description))}`);
      }
    }
  }
  return n + s.funcEnd;
}
