import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedVectorStore } from '../../src/vector/vector-store.js';
import { DIM, vec, vectorStoreContract } from './vector-store.contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vectors-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

vectorStoreContract('embedded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vectors-contract-'));
  return { store: createEmbeddedVectorStore({ dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

// The same contract with the HNSW path forced (every namespace above 4 entries is a graph).
vectorStoreContract('embedded (HNSW)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vectors-contract-'));
  return {
    store: createEmbeddedVectorStore({ dir, hnsw: { flatMax: 4 } }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('embedded vector store', () => {
  it('survives a restart: entries, payloads and deletions are reloaded from the data dir', async () => {
    const dir = tempDir();
    const a = createEmbeddedVectorStore({ dir });
    await a.init(DIM);
    await a.upsert('team-a', 'one', vec(1), { answer: 'first' });
    await a.upsert('team-a', 'two', vec(2), { answer: 'second' });
    await a.upsert('team-a', 'short-lived', vec(3), {}, 100);
    await a.delete('team-a', 'two');
    await a.close();
    await new Promise((r) => setTimeout(r, 150));

    const b = createEmbeddedVectorStore({ dir });
    await b.init(DIM);
    expect(await b.size()).toBe(1);
    const hits = await b.search('team-a', vec(1), { k: 5 });
    expect(hits.map((h) => [h.id, h.payload])).toEqual([['one', { answer: 'first' }]]);
    await b.close();
  });

  it('drops stored vectors when the dimension changes (another embedding model)', async () => {
    const dir = tempDir();
    const a = createEmbeddedVectorStore({ dir });
    await a.init(DIM);
    await a.upsert('ns', 'x', vec(1), {});
    await a.close();
    const b = createEmbeddedVectorStore({ dir });
    await b.init(DIM * 2);
    expect(await b.size()).toBe(0);
    await b.close();
  });

  it('stays within maxEntries by evicting the least recently used entries', async () => {
    const dir = tempDir();
    const s = createEmbeddedVectorStore({ dir, maxEntries: 5 });
    await s.init(DIM);
    for (let i = 0; i < 5; i++) await s.upsert('ns', `e${i}`, vec(i), {});
    // A hit on e0 makes it recently used, so e1 and e2 are the oldest now.
    expect((await s.search('ns', vec(0), { k: 1 }))[0]!.id).toBe('e0');
    await s.upsert('other', 'n1', vec(100), {});
    await s.upsert('other', 'n2', vec(101), {});
    expect(await s.size()).toBe(5);
    const left = (await s.search('ns', vec(0), { k: 10 })).map((h) => h.id).sort();
    expect(left).toEqual(['e0', 'e3', 'e4']);
    await s.close();

    // The bound and the order hold across a restart too.
    const again = createEmbeddedVectorStore({ dir, maxEntries: 5 });
    await again.init(DIM);
    expect(await again.size()).toBe(5);
    await again.close();
  });

  it('keeps high recall and strict namespaces once a namespace is an HNSW graph', async () => {
    const dir = tempDir();
    const s = createEmbeddedVectorStore({ dir, hnsw: { flatMax: 64 } });
    await s.init(DIM);
    const n = 600;
    for (let i = 0; i < n; i++) {
      await s.upsert('big', `big-${i}`, vec(i), {});
      await s.upsert('twin', `twin-${i}`, vec(i), {}); // identical vectors in a neighbouring namespace
    }
    let found = 0;
    for (let i = 0; i < n; i += 3) {
      const hits = await s.search('big', vec(i), { k: 5 });
      expect(hits.every((h) => h.id.startsWith('big-'))).toBe(true);
      if (hits[0]?.id === `big-${i}`) found++;
    }
    expect(found / Math.ceil(n / 3)).toBeGreaterThanOrEqual(0.98);
    // Deleting most of a namespace demotes it to the exact scan and keeps answering correctly.
    for (let i = 0; i < n - 10; i++) await s.delete('big', `big-${i}`);
    const hits = await s.search('big', vec(n - 1), { k: 20 });
    expect(hits).toHaveLength(10);
    expect(hits[0]!.id).toBe(`big-${n - 1}`);
    await s.close();
  });

  it('resumes HNSW graphs after a clean restart and rebuilds them after a crash, answering the same', async () => {
    const dir = tempDir();
    const opts = { dir, hnsw: { flatMax: 16 } };
    const a = createEmbeddedVectorStore(opts);
    await a.init(DIM);
    for (let i = 0; i < 100; i++) await a.upsert('big', `b${i}`, vec(i), { i });
    await a.delete('big', 'b5');
    await a.upsert('small', 's1', vec(1), {});
    await a.close();
    expect(readdirSync(join(dir, 'graphs'))).toHaveLength(1); // only 'big' is a graph

    const b = createEmbeddedVectorStore(opts); // resumes the snapshot
    await b.init(DIM);
    expect(await b.size()).toBe(100);
    expect((await b.search('big', vec(42), { k: 1 }))[0]).toMatchObject({ id: 'b42', payload: { i: 42 } });
    expect((await b.search('big', vec(5), { k: 3 })).map((h) => h.id)).not.toContain('b5');
    await b.upsert('big', 'b5', vec(5), { back: true }); // reuses a deleted slot in the resumed graph
    await b.upsert('big', 'b100', vec(100), {});
    await b.delete('big', 'b7');
    // No close(): as after a crash, the snapshot is stale and the next start must rebuild from the rows.
    const c = createEmbeddedVectorStore(opts);
    await c.init(DIM);
    expect(await c.size()).toBe(101);
    expect((await c.search('big', vec(5), { k: 1 }))[0]).toMatchObject({ id: 'b5', payload: { back: true } });
    expect((await c.search('big', vec(100), { k: 1 }))[0]!.id).toBe('b100');
    expect((await c.search('big', vec(7), { k: 3 })).map((h) => h.id)).not.toContain('b7');
    await c.close();
    await b.close();
    expect(existsSync(join(dir, 'vectors.sqlite'))).toBe(true);
  });

  const recording = () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    return { lines, logger: { warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) } };
  };

  it('starts empty, with one warning, when vectors.sqlite is not a database (and keeps the damaged file aside)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vectors.sqlite'), 'not a database '.repeat(500));
    const { lines, logger } = recording();
    const s = createEmbeddedVectorStore({ dir, logger });
    await s.init(DIM);
    expect(await s.size()).toBe(0);
    await s.upsert('ns', 'a', vec(1), { ok: true });
    expect((await s.search('ns', vec(1), { k: 1 }))[0]).toMatchObject({ id: 'a', payload: { ok: true } });
    await s.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/damaged: moved aside/);
    expect(lines[0]!.obj).toMatchObject({ movedTo: join(dir, 'vectors.sqlite.corrupt'), reason: expect.stringMatching(/not a database/) });
    expect(existsSync(join(dir, 'vectors.sqlite.corrupt'))).toBe(true);

    // The new file is a healthy one: the next start reads it back without any warning.
    const again = createEmbeddedVectorStore({ dir, logger });
    await again.init(DIM);
    expect(await again.size()).toBe(1);
    await again.close();
    expect(lines).toHaveLength(1);
  });

  it('recovers from a truncated vectors.sqlite (a cut copy, a torn write) instead of staying down', async () => {
    const dir = tempDir();
    const a = createEmbeddedVectorStore({ dir });
    await a.init(DIM);
    for (let i = 0; i < 500; i++) await a.upsert('ns', `e${i}`, vec(i), { pad: 'x'.repeat(300) });
    await a.close();
    const path = join(dir, 'vectors.sqlite');
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const { lines, logger } = recording();
    const b = createEmbeddedVectorStore({ dir, logger });
    await b.init(DIM);
    await b.upsert('ns', 'fresh', vec(9999), {});
    expect((await b.search('ns', vec(9999), { k: 1 }))[0]!.id).toBe('fresh');
    await b.close();
    expect(lines.map((l) => l.msg)).toEqual(['semantic cache file is damaged: moved aside, starting with an empty semantic cache']);
  });

  it('drops unreadable rows (vector of another byte length, bad payload) and keeps the others', async () => {
    const dir = tempDir();
    const a = createEmbeddedVectorStore({ dir });
    await a.init(DIM);
    for (let i = 0; i < 4; i++) await a.upsert('ns', `e${i}`, vec(i), { i });
    await a.close();
    const db = new Database(join(dir, 'vectors.sqlite'));
    db.prepare("UPDATE entries SET vector = ? WHERE id = 'e1'").run(Buffer.alloc(DIM * 4 - 2));
    db.prepare("UPDATE entries SET payload = '{not json' WHERE id = 'e2'").run();
    db.close();
    const { lines, logger } = recording();
    const b = createEmbeddedVectorStore({ dir, logger });
    await b.init(DIM);
    expect(await b.size()).toBe(2);
    expect((await b.search('ns', vec(3), { k: 5 })).map((h) => h.id).sort()).toEqual(['e0', 'e3']);
    await b.close();
    expect(lines).toEqual([{ obj: expect.objectContaining({ dropped: 2 }), msg: 'semantic cache file had unreadable entries: dropped them' }]);
  });
});
