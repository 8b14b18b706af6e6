import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStateStore } from '../../src/state/index.js';

describe('SQLite WAL checkpoints in a worker thread', () => {
  it('moves committed pages into the database file while the store keeps serving, without the serving thread checkpointing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gw-ckpt-')), 'state.sqlite');
    const store = await createSqliteStateStore({ path });
    const before = statSync(path).size;
    for (let i = 0; i < 3000; i++) await store.cacheSet(`k${i}`, 'x'.repeat(200), 60_000);
    // The serving connection's own auto-checkpoint is only a safety net far above this WAL size.
    expect(statSync(path).size).toBe(before);
    const deadline = Date.now() + 5000;
    while (statSync(path).size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(statSync(path).size).toBeGreaterThan(before + 500_000);
    expect(await store.cacheGet('k2999')).toBe('x'.repeat(200));
    await store.close();
  });
});
