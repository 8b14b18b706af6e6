/**
 * Validation of chat requests against OpenAI's own published request schema (the file under
 * `config/openai/`, copied from the official OpenAPI spec), so "accepts what OpenAI accepts" is literal:
 * unknown-but-valid new parameters pass through, wrong types and ranges are refused with the failing `param`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type Ajv2020Type from 'ajv/dist/2020.js';

// ajv ships CommonJS with a `default` export that ESM interop wraps differently per loader; require is unambiguous.
const require = createRequire(import.meta.url);

const schemaFile = fromRoot('config', 'openai', 'CreateChatCompletionRequest.schema.json');

let validator: ValidateFunction | undefined;
let edgeValidator: ValidateFunction | undefined;

/**
 * Largest `max_tokens` / `max_completion_tokens` accepted: 8× the largest output limit of any model we know
 * (128 K). OpenAI's schema sets no bound (OpenAI answers 400 per model); without one, 1e15 or 2^53−1 reached the
 * budget and rate-limit arithmetic and answered 500 (issue 18).
 */
export const MAX_OUTPUT_TOKENS_PARAM = 1_048_576;

/**
 * Limits OpenAI documents but its published schema leaves out, checked at the edge with a 400 naming the
 * param: output tokens at least 1 and bounded; `seed` an integer JavaScript holds exactly (the schema's ±2^63 is
 * rounded by JSON.parse, so a larger seed would reach the provider as another number); `logit_bias` maps token
 * ids to -100..100. Only `minimum`/`maximum`/`pattern`: wrong types are left to OpenAI's schema and its message.
 */
const EDGE_LIMITS = {
  type: 'object',
  properties: {
    max_tokens: { minimum: 1, maximum: MAX_OUTPUT_TOKENS_PARAM },
    max_completion_tokens: { minimum: 1, maximum: MAX_OUTPUT_TOKENS_PARAM },
    seed: { minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    logit_bias: { propertyNames: { pattern: '^[0-9]{1,10}$' }, additionalProperties: { minimum: -100, maximum: 100 } },
  },
};

/** ajv's options for both validators (part of the generated module's hash: other options, other code). */
const AJV_OPTIONS = {
  strict: false,
  strictTypes: false,
  // strictNumbers: `number`/`integer` refuse ±Infinity (JSON.parse turns 1e400 into Infinity; ajv's `integer`
  // otherwise accepts -Infinity, which reached admission as a token count and answered 500).
  strictNumbers: true,
  allErrors: false,
  // Formats are not checked: OpenAI itself accepts any string where the spec says `uri`.
  validateFormats: false,
  discriminator: true,
} as const;

/**
 * Where `npm run build` writes the validators as ajv standalone code (`postbuild`: write-request-validators.ts).
 * Compiling OpenAI's chat schema costs ~250 ms of CPU at start-up, the largest part after loading modules; the
 * generated module loads in a few ms and needs none of ajv's compiler.
 */
export const GENERATED_VALIDATORS = fromRoot('dist', 'generated', 'request-validators.cjs');

/** OpenAI's schema with discriminators put back, and the hash of everything the validators' code depends on. */
function preparedSchema(): { schema: Record<string, unknown>; hash: string } {
  if (prepared) return prepared;
  const parsed = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  withDiscriminators(parsed);
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(JSON.stringify([parsed, EDGE_LIMITS, AJV_OPTIONS, ajvVersion])).digest('hex');
  return (prepared = { schema: parsed, hash });
}
let prepared: { schema: Record<string, unknown>; hash: string } | undefined;

function newAjv(source: boolean): InstanceType<typeof Ajv2020Type.default> {
  const Ajv2020 = require('ajv/dist/2020').default as typeof Ajv2020Type.default;
  return new Ajv2020({ ...AJV_OPTIONS, ...(source ? { code: { source: true } } : {}) });
}

/** The validators' standalone module (CommonJS) with the hash it was built from; written by `npm run build`. */
export function generateValidatorModule(): string {
  const ajv = newAjv(true);
  ajv.addSchema(preparedSchema().schema, 'chat-request').addSchema(EDGE_LIMITS, 'edge-limits');
  const standaloneCode = require('ajv/dist/standalone').default as (a: unknown, refs: Record<string, string>) => string;
  return `${standaloneCode(ajv, { validate: 'chat-request', edge: 'edge-limits' })}\nexports.hash = ${JSON.stringify(preparedSchema().hash)};\n`;
}

/**
 * Builds the validators once, lazily; call `warmRequestSchema()` at start to keep it off the first request. Uses
 * the generated module when it was built from this schema, these limits and options and this ajv (its hash), and
 * compiles otherwise (running from source, a schema changed since the build). Returns which one it did.
 */
export function warmRequestSchema(file = GENERATED_VALIDATORS): 'generated' | 'compiled' | 'ready' {
  if (validator) return 'ready';
  if (existsSync(file)) {
    const mod = require(file) as { hash?: string; validate?: ValidateFunction; edge?: ValidateFunction };
    if (mod.hash === preparedSchema().hash && mod.validate && mod.edge) {
      validator = mod.validate;
      edgeValidator = mod.edge;
      return 'generated';
    }
  }
  const ajv = newAjv(false);
  validator = ajv.compile(preparedSchema().schema);
  edgeValidator = ajv.compile(EDGE_LIMITS);
  return 'compiled';
}

/** Forgets the validators (tests load them both ways). */
export function resetRequestSchema(): void {
  validator = edgeValidator = undefined;
}

/**
 * Puts back the `discriminator`s the extraction dropped: a `oneOf` whose branches are told apart by one required
 * property's value (messages by `role`, content parts and tools by `type`). ajv then validates only the branch the
 * value names instead of trying all of them and collecting the failures — a third of the time and of the garbage
 * per request — and a wrong tag value becomes one clear error on that property.
 */
function withDiscriminators(node: unknown): void {
  if (Array.isArray(node)) node.forEach(withDiscriminators);
  else if (node && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    Object.values(n).forEach(withDiscriminators);
    const tag = Array.isArray(n.oneOf) && (n.type ?? 'object') === 'object' ? commonTag(n.oneOf as Record<string, unknown>[]) : undefined;
    if (tag) {
      n.discriminator = { propertyName: tag };
      // ajv applies a discriminator to objects only (every branch is one): anything else must still fail.
      n.type = 'object';
    }
  }
}

function commonTag(branches: Record<string, unknown>[]): string | undefined {
  for (const tag of ['role', 'type']) {
    const tagged = branches.every((b) => {
      const prop = (b?.properties as Record<string, { enum?: unknown[]; const?: unknown }> | undefined)?.[tag];
      const required = Array.isArray(b?.required) && b.required.includes(tag);
      return b?.type === 'object' && required && (prop?.const !== undefined || Array.isArray(prop?.enum));
    });
    if (tagged) return tag;
  }
  return undefined;
}

export interface SchemaProblem {
  param: string;
  message: string;
}

/** Returns undefined when valid, else the most specific problem (deepest path). */
export function checkRequestSchema(body: unknown): SchemaProblem | undefined {
  warmRequestSchema();
  if (!validator!(body)) return pickProblem(validator!.errors ?? []);
  if (!edgeValidator!(body)) return pickProblem(edgeValidator!.errors ?? []);
  return undefined;
}

function pickProblem(errors: ErrorObject[]): SchemaProblem {
  let best = errors[0];
  for (const e of errors) {
    const generic = e.keyword === 'anyOf' || e.keyword === 'oneOf';
    if (!generic && (best.keyword === 'anyOf' || best.keyword === 'oneOf' || e.instancePath.length > best.instancePath.length)) best = e;
  }
  if (best.keyword === 'discriminator') {
    const { tag, tagValue } = best.params as { tag: string; tagValue: unknown };
    const param = toParam(`${best.instancePath}/${tag}`, best);
    // schemaPath is `#/…/discriminator`: its parent is the `oneOf` node, whose branches list the allowed values.
    const node = best.schemaPath
      .split('/')
      .slice(1, -1)
      .reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], preparedSchema().schema) as
      | { oneOf?: { properties: Record<string, { enum?: unknown[]; const?: unknown }> }[] }
      | undefined;
    const allowed = (node?.oneOf ?? []).flatMap((b) => b.properties[tag]!.enum ?? [b.properties[tag]!.const]);
    const oneOf = `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    const detail = tagValue === undefined ? `is required (${oneOf})` : typeof tagValue === 'string' ? `must be ${oneOf}` : 'must be a string';
    return { param, message: `Invalid value for '${param}': ${detail}.` };
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
