/**
 * What the guard latency benches share (guard-latency.ts, model-guards.ts): a gateway in process with one team per
 * guard configuration (team `t<i>` for the i-th label, key `keyOf(i)`), the requests sent to every team interleaved
 * with the team order rotated each round, and p50 / p99 rows with the latency "added" against the first team (the
 * baseline without guards). The gateway and every fixture the setup started are closed whatever happens, so a
 * bench that throws leaves nothing running next to the rest of `bench/run.ts`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { percentile as pct } from './stats.js';

export interface Closable {
  close(): Promise<unknown>;
}

export interface GuardTeamsSetup {
  /** Label → the `policy.guards` of its team. The first label is the baseline of the "added" columns. */
  teams: Record<string, object>;
  /** The rest of the gateway config (providers, models); `server`, `state`, `teams` and `keys` are filled in. */
  config: Record<string, unknown>;
  /** Settings every team gets besides its policy (budgets). */
  teamSettings?: Record<string, unknown>;
  /** Makes the keys unique to the bench. */
  keyPrefix: string;
  /** The gateway's logger (default: silent). */
  logger?: Logger;
}

export interface GuardTeams {
  /** The labels, in config order (team `t<i>` is `names[i]`). */
  names: string[];
  /** POSTs one chat completion body with team `names[idx]`'s key; resolves once the answer is read. */
  send(idx: number, body: string): Promise<{ status: number; ms: number }>;
  /** Calls `each` for every team in each of `rounds` rounds, the team order rotated by one each round. */
  interleave(rounds: number, each: (round: number, idx: number) => Promise<void>): Promise<void>;
}

/**
 * Runs `run` against a gateway built from `setup`'s answer. `setup` starts the fixtures (fake provider, services)
 * and passes each to `own`, which closes it at the end.
 */
export async function withGuardTeams<T>(setup: (own: <C extends Closable>(c: C) => C) => Promise<GuardTeamsSetup>, run: (b: GuardTeams) => Promise<T>): Promise<T> {
  const owned: Closable[] = [];
  let gw: RunningGateway | undefined;
  try {
    const s = await setup((c) => (owned.push(c), c));
    const names = Object.keys(s.teams);
    const keyOf = (i: number) => `gw-bench-${s.keyPrefix}-${i}-0123456789abcdefghijklmnop`;
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, logLevel: s.logger ? 'info' : 'silent' },
      state: { kind: 'sqlite', dataDir: ':memory:' },
      ...s.config,
      teams: Object.fromEntries(names.map((n, i) => [`t${i}`, { allowedModels: ['*'], ...s.teamSettings, policy: { guards: s.teams[n] } }])),
      keys: names.map((_, i) => ({ id: `k${i}`, team: `t${i}`, key: keyOf(i) })),
    });
    gw = await startGateway(config, s.logger ?? createLogger('silent'), '(bench)');
    const url = `${gw.url}/v1/chat/completions`;
    return await run({
      names,
      async send(idx, body) {
        const t0 = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${keyOf(idx)}`, 'content-type': 'application/json' }, body });
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - t0 };
      },
      async interleave(rounds, each) {
        for (let round = 0; round < rounds; round++) {
          for (let k = 0; k < names.length; k++) await each(round, (round + k) % names.length);
        }
      },
    });
  } finally {
    await gw?.close().catch(() => undefined);
    await Promise.allSettled(owned.map((c) => c.close()));
  }
}

/** p50 and p99 of `xs`, and each minus the baseline's (`—` for the baseline itself), formatted to 0.01 ms. */
export function latencyCells(xs: number[], base: number[] | undefined): string[] {
  const f = (x: number) => x.toFixed(2);
  const p50 = pct(xs, 50);
  const p99 = pct(xs, 99);
  return [f(p50), f(p99), base ? f(p50 - pct(base, 50)) : '—', base ? f(p99 - pct(base, 99)) : '—'];
}
