/** The provider embedder against a local OpenAI-shaped /embeddings server (a fake upstream on 127.0.0.1). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedderOrNull, createProviderEmbedder } from '../../src/embeddings/embedder.js';

let server: Server;
let baseUrl: string;
const seen: { auth?: string; body: { model: string; input: string[] } }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      seen.push({ auth: req.headers.authorization, body });
      const path = req.url!.replace('?api-version=2024-10-21', ''); // an Azure-style base URL's query
      if (path !== '/v1/embeddings' || body.model === 'broken') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
        return;
      }
      if (body.model === 'echo-key') {
        // Some OpenAI-compatible servers quote the credential they refused.
        const err = { error: { message: `Incorrect API key provided: ${req.headers.authorization}`, type: 'invalid_request_error' } };
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(err));
        return;
      }
      if (body.input.includes('')) {
        // As OpenAI does: one empty string in the list fails the whole call.
        const err = { error: { message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", type: 'invalid_request_error' } };
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(err));
        return;
      }
      // Not unit length, and in reverse order: the client must sort by index and normalise.
      const data = body.input
        .map((t, index) => ({ object: 'embedding', index, embedding: t === 'base64!' ? 'AACAPwAAQEAAAIBA' : t === 'nulls' ? [null, 3, 4] : [t.length, 3, 4] }))
        .reverse();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('provider embedder', () => {
  it('probes the dimension, sends the key, returns normalised vectors in input order', async () => {
    const e = await createProviderEmbedder({ baseUrl, apiKey: 'sk-test', model: 'text-embedding-3-small' });
    expect(e.dimension).toBe(3);
    expect(e.id).toBe('provider:text-embedding-3-small');
    const [a, b] = await e.embed(['x', 'abcd']);
    expect(Array.from(a!)).toEqual([1, 3, 4].map((x) => expect.closeTo(x / Math.sqrt(26), 6)));
    expect(Math.hypot(...b!)).toBeCloseTo(1, 6);
    expect(b![0]).toBeCloseTo(4 / Math.sqrt(41), 6);
    expect(seen.at(-1)).toMatchObject({ auth: 'Bearer sk-test', body: { model: 'text-embedding-3-small', input: ['x', 'abcd'] } });
    await e.close();
    await expect(e.embed(['x'])).rejects.toThrow(/closed/);
  });

  it('keeps a query in the base URL (Azure-style api-version) on every call', async () => {
    const e = await createProviderEmbedder({ baseUrl: `${baseUrl}/?api-version=2024-10-21`, apiKey: 'k', model: 'm' });
    expect(e.dimension).toBe(3);
    await e.close();
  });

  it('rejects vectors of another width than the configured dimension', async () => {
    const e = await createProviderEmbedder({ baseUrl, apiKey: 'k', model: 'm', dimension: 1536 });
    await expect(e.embed(['x'])).rejects.toThrow(/3 dimensions, expected 1536/);
  });

  it('an endpoint that fails makes createEmbedderOrNull warn once and return null', async () => {
    const warnings: string[] = [];
    const e = await createEmbedderOrNull(
      { kind: 'provider', baseUrl, apiKey: 'sk-secret-value', model: 'broken' },
      { warn: (obj, msg) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) },
    );
    expect(e).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/semantic features disabled.*500/);
    expect(warnings[0]).not.toContain('sk-secret-value');
  });

  it('an empty string does not fail the batch it is in (OpenAI refuses empty inputs)', async () => {
    const e = await createProviderEmbedder({ baseUrl, apiKey: 'k', model: 'm', dimension: 3 });
    const out = await e.embed(['abc', '', 'de']);
    expect(out).toHaveLength(3);
    for (const v of out) expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(seen.at(-1)!.body.input).toEqual(['abc', ' ', 'de']);
  });

  it('never puts the API key in an error, even when the server quotes it back', async () => {
    const warnings: string[] = [];
    const e = await createEmbedderOrNull(
      { kind: 'provider', baseUrl, apiKey: 'sk-live-0123456789abcdef', model: 'echo-key' },
      { warn: (obj, msg) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) },
    );
    expect(e).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/401.*Incorrect API key provided: Bearer \[redacted\]/);
    expect(warnings[0]).not.toContain('0123456789abcdef');
  });

  it('rejects embeddings that are not lists of finite numbers (base64 strings, nulls) instead of NaN vectors', async () => {
    const e = await createProviderEmbedder({ baseUrl, apiKey: 'k', model: 'm', dimension: 3 });
    await expect(e.embed(['base64!'])).rejects.toThrow(/not a list of finite numbers/);
    await expect(e.embed(['nulls'])).rejects.toThrow(/not a list of finite numbers/);
  });
});
