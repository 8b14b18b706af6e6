/**
 * The embedded store is owned by one process: its budgets are decided in memory and written behind. These tests
 * show what an operator would meet: a second gateway on the same data is refused with a clear error, a crash
 * leaves no stale lock, and what was settled before the crash is on disk when the next process opens it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { createSqliteStateStore, StateUnavailableError } from '../../src/state/index.js';
import { WRITE_BEHIND_MS } from '../../src/state/sqlite/sqlite-budgets.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-own-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scopes = [{ scope: 'team:t' as const, budgets: [{ period: 'lifetime' as const, usdMicros: 1_000_000, tokens: 1_000_000 }] }];

describe('embedded store ownership', () => {
  it('refuses a second store on the same file until the first closes', async () => {
    const path = join(dir, 'a', 'state.db');
    const first = await createSqliteStateStore({ path });
    const second = createSqliteStateStore({ path });
    await expect(second).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(second).rejects.toThrow(/in use by another gateway process.*Redis/);
    await first.close();
    const third = await createSqliteStateStore({ path });
    await third.close();
  });

  it('a killed owner leaves no stale lock, and what it settled before the kill is on disk', async () => {
    const path = join(dir, 'b', 'state.db');
    // The child reserves and settles 40 requests, then reports and waits to be killed (no close, no flush call).
    const script = `
      import { createSqliteStateStore } from ${JSON.stringify(fromRoot('src', 'state', 'index.ts'))};
      const store = await createSqliteStateStore({ path: ${JSON.stringify(path)} });
      const scopes = ${JSON.stringify(scopes)};
      for (let i = 0; i < 40; i++) {
        await store.reserve({ requestId: 'r' + i, teamId: 't', scopes, costMicros: 100, tokens: 10, leaseMs: 600000 });
        await store.settle({ requestId: 'r' + i, teamId: 't', costMicros: 7, tokens: 3 });
      }
      // One still held when the process dies.
      await store.reserve({ requestId: 'held', teamId: 't', scopes, costMicros: 500, tokens: 50, leaseMs: 600000 });
      setTimeout(() => process.stdout.write('ready\\n'), ${WRITE_BEHIND_MS * 5}); // spend is written behind
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fromRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      await expect(createSqliteStateStore({ path })).rejects.toThrow(/in use by another gateway process/);
    } finally {
      child.kill('SIGKILL'); // also when an assertion failed: never leave the child behind
      await exited;
    }

    const store = await createSqliteStateStore({ path });
    try {
      const [now] = await store.getBudgetStatus(scopes, { teamId: 't' });
      // Spend is durable; the dead owner's hold ended with its request instead of blocking the budget.
      expect(now).toMatchObject({ spentMicros: 40 * 7, spentTokens: 40 * 3, reservedMicros: 0, reservedTokens: 0 });
    } finally {
      await store.close();
    }
  }, 30_000);
});
