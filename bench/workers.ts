/**
 * `--workers N` on this machine (issue 22.7): the gateway with the targets set on Redis state (workers need it:
 * budgets stay exact because the workers share their state, as replicas do; test/ops/workers.test.ts proves it
 * under concurrency), at saturation with 1 and with 2 workers, interleaved rounds. Nothing is pinned: the workers,
 * the upstream, redis-server and this load generator share the machine's cores, so the figure is what a second
 * worker buys on a small box that also runs its own load, not a clean scaling curve.
 * Run alone: `npx tsx bench/workers.ts` (BENCH_WORKERS_ROUNDS=3, BENCH_WORKERS_MS=5000).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop } from './lib/load.js';
import { freePort, spawnPinned, waitForPort, type PinnedProcess } from './lib/proc.js';
import { fmt, percentile, ratio, table } from './lib/stats.js';
import { BENCH_KEY, benchConfig } from './peers/gateway-config.js';
import { prepareGateway, startUpstream } from './peers/index.js';

interface Round {
  workers: number;
  rps: number;
  errors: number;
  p50: number;
}

async function startGateway(workers: number, upstreamPort: number, redisUrl: string): Promise<{ stop(): Promise<void>; origin: string; dir: string }> {
  const cli = prepareGateway();
  const dir = mkdtempSync(join(tmpdir(), 'bench-workers-'));
  const port = await freePort();
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, JSON.stringify(benchConfig(`http://127.0.0.1:${upstreamPort}`, 'core-redis', join(dir, 'data'), port, redisUrl)));
  const child = spawn(process.execPath, [...cli.flags, ...cli.args, '--config', config, '--workers', String(workers)], { stdio: 'ignore' });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => (clearTimeout(kill), rmSync(dir, { recursive: true, force: true }), resolve()));
      child.kill('SIGTERM');
    });
  try {
    await waitForPort(port, 30_000);
  } catch (err) {
    await stop(); // a gateway that never listened must not outlive the bench
    throw err;
  }
  // Every worker listening (the primary hands connections out round robin; give the others their start-up).
  await new Promise((r) => setTimeout(r, 1500));
  return { stop, origin: `http://127.0.0.1:${port}`, dir };
}

export async function measureWorkers(rounds = Number(process.env.BENCH_WORKERS_ROUNDS ?? 3), durationMs = Number(process.env.BENCH_WORKERS_MS ?? 5000)): Promise<Round[] | { skip: string }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return { skip: 'redis-server is not installed' };
  if (cpus().length < 2) return { skip: 'one core: nothing to spread workers over' };
  const upstream = await startUpstream();
  const out: Round[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const workers of [1, 2]) {
        const redisPort = await freePort();
        const redisProc: PinnedProcess = await spawnPinned(1, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { port: redisPort });
        let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
        try {
          gw = await startGateway(workers, upstream.port, `redis://127.0.0.1:${redisPort}`);
          const target = { origin: gw.origin, path: '/v1/chat/completions', headers: { authorization: `Bearer ${BENCH_KEY}` } };
          await closedLoop(target, { connections: 32, durationMs: 1000, stream: false }); // warm-up
          const res = await closedLoop(target, { connections: 64, durationMs, stream: false });
          out.push({ workers, rps: res.ok / (res.elapsedMs / 1000), errors: res.errors, p50: percentile(res.latency, 50) });
        } finally {
          await gw?.stop();
          await redisProc.stop();
        }
      }
    }
  } finally {
    await upstream.proc.stop();
  }
  return out;
}

export function workersMarkdown(rows: Round[] | { skip: string }): string {
  if ('skip' in rows) return `Skipped: ${rows.skip}.`;
  const med = (w: number, f: (r: Round) => number) => percentile(rows.filter((r) => r.workers === w).map(f), 50);
  const one = med(1, (r) => r.rps);
  const body = table(
    ['workers', 'saturation req/s (median of rounds)', '× 1 worker', 'p50 ms', 'errors (all rounds)', 'rounds: req/s'],
    [1, 2].map((w) => [
      String(w),
      fmt(med(w, (r) => r.rps), 0),
      w === 1 ? '–' : ratio(med(w, (r) => r.rps), one),
      fmt(med(w, (r) => r.p50)),
      String(rows.filter((r) => r.workers === w).reduce((a, r) => a + r.errors, 0)),
      rows.filter((r) => r.workers === w).map((r) => fmt(r.rps, 0)).join(', '),
    ]),
  );
  return `${body}\n\nMethod: \`npm start\`'s command with \`--workers N\` and the targets set on Redis state (a redis-server per round), 64 connections in a closed loop for ${Number(process.env.BENCH_WORKERS_MS ?? 5000) / 1000} s after 1 s of warm-up, rounds interleaved (1, 2, 1, 2, …). Nothing pinned: the workers, the upstream, redis-server and the load generator share both cores. Budgets and limits are exact across workers (they share Redis, as replicas do: \`test/ops/workers.test.ts\`).`;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  return { title: 'Workers: one process per core (--workers)', markdown: workersMarkdown(await measureWorkers()) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`### ${r.title}\n\n${r.markdown}`);
}
