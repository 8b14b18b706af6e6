/**
 * The VectorStore contract every implementation passes (see src/vector/vector-store.ts).
 * Each test uses fresh namespaces, so the suite also runs against a shared, non-empty Qdrant collection.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorStore } from '../../src/vector/vector-store.js';

export const DIM = 16;

/** Deterministic pseudo-random unit-ish vector from a seed. */
export function vec(seed: number, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  let a = (seed * 0x9e3779b9) >>> 0;
  for (let i = 0; i < dim; i++) {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  return v;
}

/** A vector close to `v` (cosine ~0.99). */
function near(v: Float32Array, seed: number): Float32Array {
  const noise = vec(seed + 10_000, v.length);
  return v.map((x, i) => x + 0.05 * noise[i]!);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function vectorStoreContract(name: string, open: () => Promise<{ store: VectorStore; cleanup: () => Promise<void> }>) {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    let cleanup: () => Promise<void>;
    const ns = () => `ns-${randomUUID()}`;

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      await store.init(DIM);
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('finds the nearest entries, best first, with cosine scores', async () => {
      const n = ns();
      for (let i = 0; i < 20; i++) await store.upsert(n, `e${i}`, vec(i), { i });
      const hits = await store.search(n, near(vec(7), 1), { k: 3 });
      expect(hits).toHaveLength(3);
      expect(hits[0]!.id).toBe('e7');
      expect(hits[0]!.payload).toEqual({ i: 7 });
      expect(hits[0]!.score).toBeGreaterThan(0.95);
      expect(hits[0]!.score).toBeLessThanOrEqual(1.000001);
      expect(hits[1]!.score).toBeLessThanOrEqual(hits[0]!.score);
      expect(hits[2]!.score).toBeLessThanOrEqual(hits[1]!.score);
    });

    it('never returns an entry from another namespace', async () => {
      const a = ns();
      const b = ns();
      await store.upsert(a, 'only-in-a', vec(1), { from: 'a' });
      await store.upsert(b, 'in-b', vec(2), { from: 'b' });
      // The query is identical to a's entry, but b must only ever answer with its own.
      const hits = await store.search(b, vec(1), { k: 10 });
      expect(hits.map((h) => h.id)).toEqual(['in-b']);
      expect(await store.search(ns(), vec(1), { k: 10 })).toEqual([]);
      // Namespace/id pairs that concatenate to the same string are still different entries.
      const p = ns();
      await store.upsert(`${p}ab`, 'c', vec(20), { which: 1 });
      await store.upsert(`${p}a`, 'bc', vec(20), { which: 2 });
      expect((await store.search(`${p}ab`, vec(20), { k: 5 })).map((h) => h.payload)).toEqual([{ which: 1 }]);
      expect((await store.search(`${p}a`, vec(20), { k: 5 })).map((h) => h.payload)).toEqual([{ which: 2 }]);
    });

    it('applies minScore', async () => {
      const n = ns();
      await store.upsert(n, 'same', vec(3), {});
      await store.upsert(n, 'other', vec(4), {});
      const hits = await store.search(n, vec(3), { k: 5, minScore: 0.9 });
      expect(hits.map((h) => h.id)).toEqual(['same']);
    });

    it('compares by direction, not length', async () => {
      const n = ns();
      await store.upsert(n, 'x', vec(5).map((x) => x * 7), {});
      const [hit] = await store.search(n, vec(5).map((x) => x * 0.1), { k: 1 });
      expect(hit!.score).toBeCloseTo(1, 4);
    });

    it('replaces vector and payload on upsert of the same id', async () => {
      const n = ns();
      await store.upsert(n, 'k', vec(6), { v: 1 });
      await store.upsert(n, 'k', vec(8), { v: 2 });
      const hits = await store.search(n, vec(8), { k: 5 });
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ id: 'k', payload: { v: 2 } });
      expect(hits[0]!.score).toBeCloseTo(1, 4);
    });

    it('deletes', async () => {
      const n = ns();
      await store.upsert(n, 'gone', vec(9), {});
      await store.upsert(n, 'kept', vec(10), {});
      await store.delete(n, 'gone');
      await store.delete(n, 'never-existed');
      expect((await store.search(n, vec(9), { k: 5 })).map((h) => h.id)).toEqual(['kept']);
    });

    it('hides entries once their TTL has passed', async () => {
      const n = ns();
      await store.upsert(n, 'short', vec(11), {}, 150);
      await store.upsert(n, 'long', vec(12), {}, 60_000);
      await store.upsert(n, 'forever', vec(13), {});
      expect((await store.search(n, vec(11), { k: 1 }))[0]!.id).toBe('short');
      await sleep(250);
      const ids = (await store.search(n, vec(11), { k: 5 })).map((h) => h.id).sort();
      expect(ids).toEqual(['forever', 'long']);
    });

    it('counts entries and rejects vectors of the wrong dimension', async () => {
      const before = await store.size();
      const n = ns();
      await store.upsert(n, 'a', vec(14), {});
      await store.upsert(n, 'b', vec(15), {});
      expect(await store.size()).toBe(before + 2);
      await expect(store.upsert(n, 'bad', new Float32Array(DIM + 1), {})).rejects.toThrow(/dimension/);
      await expect(store.search(n, new Float32Array(DIM - 1), { k: 1 })).rejects.toThrow(/dimension/);
    });

    it('rejects NaN, infinite and zero vectors, and they never hide the namespace\'s real hits', async () => {
      const n = ns();
      await store.upsert(n, 'good', vec(16), {});
      const nan = vec(17);
      nan[3] = Number.NaN;
      const inf = vec(18);
      inf[0] = Number.POSITIVE_INFINITY;
      await expect(store.upsert(n, 'nan', nan, {})).rejects.toThrow(/NaN or infinite/);
      await expect(store.upsert(n, 'inf', inf, {})).rejects.toThrow(/NaN or infinite/);
      await expect(store.upsert(n, 'zero', new Float32Array(DIM), {})).rejects.toThrow(/zeros/);
      await expect(store.search(n, nan, { k: 1 })).rejects.toThrow(/NaN or infinite/);
      await expect(store.search(n, new Float32Array(DIM), { k: 1 })).rejects.toThrow(/zeros/);
      expect((await store.search(n, vec(16), { k: 1 })).map((h) => h.id)).toEqual(['good']);
    });

    it('an upsert of an existing id after deletions leaves no trace of its old vector', async () => {
      const n = ns();
      for (let i = 0; i < 10; i++) await store.upsert(n, `r${i}`, vec(300 + i), { i });
      await store.delete(n, 'r9'); // a free slot in an HNSW graph
      await store.upsert(n, 'r0', vec(400), { moved: true });
      const hits = await store.search(n, vec(300), { k: 10 });
      const r0 = hits.filter((h) => h.id === 'r0');
      expect(r0).toHaveLength(1); // once, not once per vector it ever had
      expect(r0[0]!.payload).toEqual({ moved: true });
      expect(r0[0]!.score).toBeLessThan(0.9); // scored by its new vector, not the old one (1.0)
      expect((await store.search(n, vec(400), { k: 1 }))[0]).toMatchObject({ id: 'r0' });
    });
  });
}
