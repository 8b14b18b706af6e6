/**
 * `npm run build` writes the chat request validators as ajv standalone code (issue 22.6: compiling OpenAI's schema
 * was the largest CPU cost of start-up after loading modules). A gateway uses that module only when it was built
 * from the same schema, limits, options and ajv; it answers every request exactly as the compiled validators do.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { checkRequestSchema, generateValidatorModule, resetRequestSchema, warmRequestSchema } from '../../src/core/request-schema.js';

// Inside the package (as dist/generated is), so the module's require('ajv/dist/runtime/…') resolves.
const cache = fromRoot('node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'validators-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => resetRequestSchema());

const user = (content: unknown) => ({ role: 'user', content });
const BODIES: unknown[] = [
  { model: 'gpt-4o-mini', messages: [user('hi')] },
  { model: 'gpt-4o-mini', messages: [{ role: 'bogus', content: 'hi' }] },
  { model: 'gpt-4o-mini', messages: [user('hi')], max_tokens: 0 },
  { model: 'gpt-4o-mini', messages: [user('hi')], max_tokens: 'ten' },
  { model: 'gpt-4o-mini', messages: [user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }])] },
  { model: 'gpt-4o-mini', messages: [user([{ type: 'nope' }])] },
  { model: 'gpt-4o-mini', messages: [user('hi')], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] },
  { model: 'gpt-4o-mini', messages: [user('hi')], logit_bias: { abc: 1 } },
  { model: 'gpt-4o-mini', messages: [user('hi')], seed: 2 ** 60 },
  { model: 'gpt-4o-mini' },
  { messages: [user('hi')] },
  { model: 'gpt-4o-mini', messages: 'hi' },
];

describe('generated request validators', () => {
  it('are used when built from this schema, and decide every body as the compiled ones do', () => {
    const file = join(dir, 'fresh.cjs');
    writeFileSync(file, generateValidatorModule());
    expect(warmRequestSchema(file)).toBe('generated');
    const generated = BODIES.map((b) => checkRequestSchema(b));
    resetRequestSchema();
    expect(warmRequestSchema(join(dir, 'missing.cjs'))).toBe('compiled');
    const compiled = BODIES.map((b) => checkRequestSchema(b));
    expect(generated).toEqual(compiled);
    expect(generated[0]).toBeUndefined();
    expect(generated[1]?.param).toBe('messages[0].role');
    expect(generated[2]?.param).toBe('max_tokens');
  });

  it('are ignored when built from another schema or ajv (their hash differs): the gateway compiles instead', () => {
    const file = join(dir, 'stale.cjs');
    writeFileSync(file, generateValidatorModule().replace(/exports\.hash = "[0-9a-f]+"/, 'exports.hash = "0000"'));
    expect(readFileSync(file, 'utf8')).toContain('exports.hash = "0000"');
    expect(warmRequestSchema(file)).toBe('compiled');
    expect(checkRequestSchema(BODIES[1])?.param).toBe('messages[0].role');
  });
});
