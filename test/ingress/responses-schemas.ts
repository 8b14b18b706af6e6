/**
 * Validators for Responses API output against the official schemas (../shared/fixtures/openai), following
 * ../shared/fixtures/sse/openai-responses/VALIDATION.md: ajv 2020 with `oneOf` read as `anyOf` (the published
 * unions overlap), and the documented places where the real wire differs from the spec (user: null, usage: null
 * before completion, error events nesting their fields, logprobs…) accepted as the wire sends them.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const DIR = '/work/shared/fixtures/openai';
type FormatsPlugin = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;
const ajv = new Ajv2020({ strict: false, strictTypes: false, allErrors: true });
addFormats(ajv);

/** `oneOf` → `anyOf` throughout (VALIDATION.md: overlapping unions). */
function anyOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anyOf);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k === 'oneOf' ? 'anyOf' : k] = anyOf(v);
  return out;
}

/** The wire's documented deviations, applied to a copy of the value before validation. */
function asSpec(value: any): any {
  const v = structuredClone(value);
  const fixResponse = (r: any) => {
    if (!r) return;
    if (r.user === null) delete r.user;
    if (r.usage === null) delete r.usage;
    if (r.usage?.input_tokens_details && r.usage.input_tokens_details.cache_write_tokens === undefined) r.usage.input_tokens_details.cache_write_tokens = 0;
  };
  if (v.object === 'response') fixResponse(v);
  if (v.response) fixResponse(v.response);
  return v;
}

function compile(name: string) {
  const schema = anyOf(JSON.parse(readFileSync(`${DIR}/${name}.schema.json`, 'utf8'))) as Record<string, unknown>;
  delete schema.$id;
  const validate = ajv.compile(schema);
  return (value: unknown): void => {
    if (validate(asSpec(value))) return;
    const errors = (validate.errors ?? []).slice(0, 12).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`${name} validation failed:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
  };
}

export const validateResponseObject = compile('Response');
export const validateStreamEvent = compile('ResponseStreamEvent');
