/**
 * Validators for what the gateway sends clients, against the official OpenAI schemas in
 * /work/shared/fixtures/openai (JSON Schema 2020-12). Compiled once per process; each call is pure and
 * throws an Error listing ajv's errors (plus the offending value) when the value does not validate.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fromShared } from '../../src/paths.js';

const DIR = fromShared('fixtures/openai');

// ajv-formats is CommonJS: under NodeNext its default import is the module object, the plugin is `.default`.
type FormatsPlugin = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

const ajv = new Ajv2020({ strict: false, strictTypes: false, allErrors: true });
addFormats(ajv);

function compile(name: string) {
  const schema = JSON.parse(readFileSync(`${DIR}/${name}.schema.json`, 'utf8'));
  delete schema.$id;
  const validate = ajv.compile(schema);
  return (value: unknown): void => {
    if (validate(value)) return;
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    throw new Error(`${name} validation failed:\n  ${errors.join('\n  ')}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
  };
}

/** Throws unless `x` is a valid non-streaming `chat.completion`. */
export const validateResponse: (x: unknown) => void = compile('CreateChatCompletionResponse');
/** Throws unless `x` is a valid `chat.completion.chunk`. */
export const validateChunk: (x: unknown) => void = compile('CreateChatCompletionStreamResponse');
/** Throws unless `x` is a valid OpenAI error envelope `{"error":{…}}`. */
export const validateErrorResponse: (x: unknown) => void = compile('ErrorResponse');
/** Throws unless `x` is a valid `GET /v1/models` list. */
export const validateModelList: (x: unknown) => void = compile('ListModelsResponse');
