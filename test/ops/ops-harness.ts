/**
 * Shared pieces of the operations tests: a gateway config file for a child-process gateway, the state store it
 * used (opened afterwards to check the ledger), and an SSE reader that keeps every frame.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { createRedisStateStore, createSqliteStateStore, type StateStore } from '../../src/state/index.js';

/** Where a child gateway keeps its state: a SQLite file under `dir`, or a Redis URL. */
export type OpsState = { kind: 'sqlite'; dataDir: string } | { kind: 'redis'; redisUrl: string };

/** Key of team `metered` (a large daily budget, so every request holds a reservation). */
export const METERED_KEY = 'gw-metered-key-0123456789abcdefghijklmnopqrstu';
export const METERED_BUDGETS = [{ period: 'daily' as const, tokens: 1_000_000_000, usd: '100000' }];

/** Writes a config for `startGatewayProcess` and returns its path. */
export function writeOpsConfig(dir: string, name: string, upstream: FakeUpstream, state: OpsState, server: Record<string, unknown> = {}): string {
  const cfg = baseConfig(upstream, {
    server: { logLevel: 'info', ...server },
    state,
    teams: { default: { allowedModels: ['*'] }, metered: { allowedModels: ['*'], budgets: METERED_BUDGETS } },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'metered', team: 'metered', key: METERED_KEY },
    ],
  });
  const file = join(dir, name);
  writeFileSync(file, stringify(cfg));
  return file;
}

/** Opens the store a child gateway used (after it exited, or beside it). */
export async function openOpsStore(state: OpsState): Promise<StateStore> {
  if (state.kind === 'redis') return createRedisStateStore({ url: state.redisUrl, commandTimeoutMs: 2000 });
  return createSqliteStateStore({ path: join(state.dataDir, 'gateway.sqlite') });
}

/** Sums the ledger of team `metered` over the last day (and the next hour, for clock skew). */
export async function ledgerTotals(store: StateStore, teamId = 'metered') {
  const rows = await store.queryUsage({ from: Date.now() - 86_400_000, to: Date.now() + 3_600_000, granularity: 'day', teamId });
  const sum = { requests: 0, promptTokens: 0, completionTokens: 0, costMicros: 0 };
  for (const r of rows) {
    sum.requests += r.requests;
    sum.promptTokens += r.promptTokens;
    sum.completionTokens += r.completionTokens;
    sum.costMicros += r.costMicros;
  }
  return sum;
}

/** Budget status of team `metered`'s daily budget. */
export async function meteredBudget(store: StateStore) {
  const [status] = await store.getBudgetStatus([{ scope: 'team:metered', budgets: [{ period: 'daily', tokens: 1_000_000_000, usdMicros: 100_000_000_000 }] }], {
    teamId: 'metered',
  });
  return status;
}

/** Reads an SSE body frame by frame; `onFrame` sees each `data:` payload as it arrives. */
export async function readSse(res: Response, onFrame: (data: string) => void = () => undefined): Promise<string[]> {
  const frames: string[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const data = frame.startsWith('data: ') ? frame.slice(6) : frame;
      frames.push(data);
      onFrame(data);
    }
  }
  return frames;
}

/** Parsed JSON log lines out of a child gateway's output. */
export function logLines(output: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* a partial line at the end */
    }
  }
  return out;
}
