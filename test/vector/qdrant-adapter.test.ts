/**
 * The Qdrant adapter's own behaviour against a small fake of Qdrant's REST API (the real server cannot run in
 * every test environment; the full contract runs against a real one in qdrant-vector-store.test.ts). The fake
 * answers like Qdrant does: `{ result, status, time }` envelopes, 409 for a collection that already exists.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQdrantVectorStore } from '../../src/vector/qdrant-vector-store.js';
import type { VectorStore } from '../../src/vector/vector-store.js';
import { DIM, vec } from './vector-store.contract.js';

interface Fake {
  collections: Map<string, { size: number; distance: string } | 'named'>;
  /** The next create of a missing collection loses a race: another replica creates it first (Qdrant answers 409). */
  loseCreateRace: boolean;
  /** getCollection answers 500 this many times (shards still coming up after another replica's create). */
  getFailures: number;
  /** Queries never answer (a hung Qdrant). */
  hangQueries: boolean;
  requests: string[];
}

let server: Server;
let url: string;
let fake: Fake;
const reset = (): Fake => ({ collections: new Map(), loseCreateRace: false, getFailures: 0, hangQueries: false, requests: [] });

function reply(res: ServerResponse, status: number, result: unknown, error?: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(error ? { status: { error }, time: 0 } : { result, status: 'ok', time: 0 }));
}

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const path = new URL(req.url!, 'http://x').pathname;
  fake.requests.push(`${req.method} ${path}`);
  const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return reply(res, 404, null, 'Not found');
  const name = decodeURIComponent(m[1]!);
  const rest = m[2] ?? '';
  const col = fake.collections.get(name);
  if (req.method === 'GET' && rest === '/exists') return reply(res, 200, { exists: col !== undefined });
  if (req.method === 'PUT' && rest === '') {
    const { vectors } = JSON.parse(body) as { vectors: { size: number; distance: string } };
    if (fake.loseCreateRace) {
      fake.loseCreateRace = false;
      fake.collections.set(name, { ...vectors });
    }
    if (fake.collections.has(name)) return reply(res, 409, null, `Wrong input: Collection \`${name}\` already exists!`);
    fake.collections.set(name, { ...vectors });
    return reply(res, 200, true);
  }
  if (!col) return reply(res, 404, null, `Not found: Collection \`${name}\` doesn't exist!`);
  if (req.method === 'GET' && rest === '') {
    if (fake.getFailures > 0) {
      fake.getFailures--;
      return reply(res, 500, null, 'Service internal error: 0 of 0 read operations failed');
    }
    const vectors = col === 'named' ? { dense: { size: DIM, distance: 'Cosine' } } : col;
    return reply(res, 200, { status: 'green', config: { params: { vectors } } });
  }
  if (req.method === 'PUT' && rest === '/index') return reply(res, 200, { operation_id: 1, status: 'completed' });
  if (req.method === 'PUT' && rest === '/points') return reply(res, 200, { operation_id: 2, status: 'completed' });
  if (req.method === 'POST' && rest === '/points/query') {
    if (fake.hangQueries) return; // never answers
    return reply(res, 200, { points: [] });
  }
  if (req.method === 'POST' && rest === '/points/count') return reply(res, 200, { count: 0 });
  if (req.method === 'POST' && rest === '/points/delete') return reply(res, 200, { operation_id: 3, status: 'completed' });
  return reply(res, 404, null, 'Not found');
}

beforeAll(async () => {
  fake = reset();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const stores: VectorStore[] = [];
const open = (extra: Partial<Parameters<typeof createQdrantVectorStore>[0]> = {}) => {
  const s = createQdrantVectorStore({ url, collection: 'cache', sweepIntervalMs: 0, ...extra });
  stores.push(s);
  return s;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  fake = reset();
});

describe('qdrant adapter', () => {
  it('creates a missing collection with the embedder dimension and cosine distance', async () => {
    await open().init(DIM);
    expect(fake.collections.get('cache')).toEqual({ size: DIM, distance: 'Cosine' });
  });

  it('a replica that loses the creation race to another one uses the collection instead of failing', async () => {
    fake.loseCreateRace = true;
    fake.getFailures = 2; // and the collection is not readable at once
    const s = open();
    await expect(s.init(DIM)).resolves.toBeUndefined();
    expect(fake.requests.filter((r) => r === 'PUT /collections/cache')).toHaveLength(1);
    expect(await s.search('team', vec(1), { k: 1 })).toEqual([]);
  });

  it('still rejects a collection of another dimension, another distance, or with named vectors', async () => {
    fake.collections.set('cache', { size: DIM * 2, distance: 'Cosine' });
    await expect(open().init(DIM)).rejects.toThrow(/holds 32-dimension vectors/);
    fake.collections.set('cache', { size: DIM, distance: 'Dot' });
    await expect(open().init(DIM)).rejects.toThrow(/Dot distance, the store needs Cosine/);
    fake.collections.set('cache', 'named');
    await expect(open().init(DIM)).rejects.toThrow(/named vectors/);
  });

  it('a hung Qdrant makes a search fail after timeoutMs, not after the client default of 5 minutes', async () => {
    const s = open({ timeoutMs: 300 });
    await s.init(DIM);
    fake.hangQueries = true;
    const started = Date.now();
    await expect(s.search('team', vec(1), { k: 1 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
