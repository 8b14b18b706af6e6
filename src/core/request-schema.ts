/**
 * Validation of chat requests against OpenAI's own published request schema (the file under
 * `config/openai/`, copied from the official OpenAPI spec), so "accepts what OpenAI accepts" is literal:
 * unknown-but-valid new parameters pass through, wrong types and ranges are refused with the failing `param`.
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type Ajv2020Type from 'ajv/dist/2020.js';

// ajv ships CommonJS with a `default` export that ESM interop wraps differently per loader; require is unambiguous.
const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default as typeof Ajv2020Type.default;

const schemaFile = fromRoot('config', 'openai', 'CreateChatCompletionRequest.schema.json');

let validator: ValidateFunction | undefined;

/** Compiles once (≈200 ms), lazily; call `warmRequestSchema()` at start to keep it off the first request. */
export function warmRequestSchema(): void {
  if (validator) return;
  // Formats are not checked: OpenAI itself accepts any string where the spec says `uri`.
  const ajv = new Ajv2020({ strict: false, strictTypes: false, allErrors: false, validateFormats: false });
  validator = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
}

export interface SchemaProblem {
  param: string;
  message: string;
}

/** Returns undefined when valid, else the most specific problem (deepest path). */
export function checkRequestSchema(body: unknown): SchemaProblem | undefined {
  warmRequestSchema();
  if (validator!(body)) return undefined;
  return pickProblem(validator!.errors ?? []);
}

function pickProblem(errors: ErrorObject[]): SchemaProblem {
  let best = errors[0];
  for (const e of errors) {
    const generic = e.keyword === 'anyOf' || e.keyword === 'oneOf';
    if (!generic && (best.keyword === 'anyOf' || best.keyword === 'oneOf' || e.instancePath.length > best.instancePath.length)) best = e;
  }
  const param = toParam(best.instancePath, best);
  const detail = best.keyword === 'enum' ? `must be one of ${(best.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : best.message ?? 'is invalid';
  return { param, message: param ? `Invalid value for '${param}': ${detail}.` : `Invalid request body: ${detail}.` };
}

/** `/messages/0/content` → `messages[0].content`; a missing required property names that property. */
function toParam(pointer: string, e: ErrorObject): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}
