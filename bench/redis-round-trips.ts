/**
 * Redis work per request (issue 22.4): the gateway with the targets set (auth + team/key budgets + rate limits +
 * PII) on a Redis state store, N sequential requests (JSON, then streams); per request: Redis commands by phase
 * (from MONITOR, scripts named by their SHA) and round trips (the server's `total_reads_processed`: one
 * request at a time, a pipelined batch arrives in one read). The usage ledger is written behind, once per
 * `ledgerFlushMs` per key, so its share per request depends on the rate; it is listed separately.
 * Run alone: `npx tsx bench/redis-round-trips.ts` (BENCH_RT_N requests per kind, default 200).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/logger.js';
import { startGateway } from '../src/server.js';
import * as luaBudgets from '../src/state/redis/lua-budgets.js';
import * as luaMisc from '../src/state/redis/lua-misc.js';
import { startRedisServer } from '../test/state/redis-server.js';
import { requestBody } from './lib/load.js';
import { BENCH_KEY, benchConfig } from './peers/gateway-config.js';
import { startUpstream } from './peers/index.js';
import { table } from './lib/stats.js';

const N = Number(process.env.BENCH_RT_N ?? 200);

/** Which request phase a command belongs to. */
const PHASE: Record<string, string> = {
  READ_KEY: 'auth',
  READ_PRINCIPAL: 'auth',
  hmget: 'auth',
  get: 'auth',
  TOUCH_KEY: 'auth (touch, ≤ 1 per key per 30 s)',
  RATE_LIMIT: 'rate limit',
  RATE_LIMIT_RELEASE: 'rate limit',
  RESERVE: 'reserve',
  EXTEND: 'reserve',
  SETTLE: 'settle',
  hget: 'settle',
  RECORD_USAGE: 'ledger (written behind)',
  zadd: 'ledger (written behind)',
  DATA_EPOCH: 'state-loss check (periodic)',
};

function scriptNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const mod of [luaBudgets, luaMisc] as Record<string, unknown>[]) {
    for (const [name, src] of Object.entries(mod)) if (typeof src === 'string') names.set(createHash('sha1').update(src).digest('hex'), name);
  }
  return names;
}

const readsProcessed = async (r: Redis) => Number(/total_reads_processed:(\d+)/.exec(await r.info('stats'))?.[1] ?? NaN);

export async function measureRoundTrips(n = N): Promise<{ kind: string; roundTrips: number; commands: Map<string, number> }[]> {
  const redis = await startRedisServer();
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'bench-rt-'));
  const config = configSchema.parse(benchConfig(`http://127.0.0.1:${upstream.port}`, 'core-redis', join(dir, 'data'), 0, redis.url));
  const gw = await startGateway(config, createLogger('silent'));
  const stats = new Redis(redis.url);
  // `monitor()` opens a connection of its own: the client it was called on must be closed too, or it reconnects
  // forever once redis-server stops (and keeps the bench process alive).
  const monitorBase = new Redis(redis.url);
  const monitor = await monitorBase.monitor();
  const shas = scriptNames();
  let counting = false;
  const seen = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // Commands a script runs inside Redis are listed too (source "lua"): only the client's own count.
    if (!counting || source === 'lua') return;
    const cmd = args[0]!.toLowerCase();
    if (cmd === 'info') return;
    const name = cmd === 'evalsha' ? (shas.get(args[1]!) ?? 'script?') : cmd === 'eval' ? 'eval' : cmd;
    seen.set(name, (seen.get(name) ?? 0) + 1);
  });
  const pool = new Pool(gw.url, { connections: 1 });
  const send = async (stream: boolean) => {
    const { statusCode, body } = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}` }, body: requestBody(stream) });
    await body.text();
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
  };
  const out: { kind: string; roundTrips: number; commands: Map<string, number> }[] = [];
  try {
    for (let i = 0; i < 50; i++) await send(i % 2 === 0); // warm-up: scripts loaded, touch done, JIT
    await new Promise((r) => setTimeout(r, 1500)); // the warm-up's ledger flush
    for (const stream of [false, true]) {
      seen.clear();
      counting = true;
      const r0 = await readsProcessed(stats);
      for (let i = 0; i < n; i++) await send(stream);
      // Settlement runs after the answer ended, and the ledger flushes once a second: wait for both.
      await new Promise((r) => setTimeout(r, 1500));
      const r1 = await readsProcessed(stats);
      counting = false;
      // The INFO call itself is one read; the ledger flush adds its own (listed with the commands).
      out.push({ kind: stream ? 'streamed' : 'JSON', roundTrips: (r1 - r0 - 1) / n, commands: new Map([...seen].map(([k, v]) => [k, v / n])) });
    }
  } finally {
    await pool.close();
    await gw.close();
    monitor.disconnect();
    monitorBase.disconnect();
    stats.disconnect();
    await upstream.proc.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * Gateway CPU per request on SQLite vs Redis state (targets set), in this process: CPU of N requests through the
 * gateway minus CPU of the same N sent straight to the upstream (the load generator's own share), 8 in flight,
 * in interleaved rounds (median). Redis's own CPU is its process's, not counted, as for SQLite's none.
 */
export async function measureStateCpu(n = N * 5, rounds = 3): Promise<{ sqliteUs: number; redisUs: number }> {
  const redis = await startRedisServer();
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'bench-rt-cpu-'));
  const up = `http://127.0.0.1:${upstream.port}`;
  const sqlite = await startGateway(configSchema.parse(benchConfig(up, 'core', join(dir, 'sqlite'), 0)), createLogger('silent'));
  const onRedis = await startGateway(configSchema.parse(benchConfig(up, 'core-redis', join(dir, 'redis'), 0, redis.url)), createLogger('silent'));
  const targets = { direct: up, sqlite: sqlite.url, redis: onRedis.url };
  const pools = Object.fromEntries(Object.entries(targets).map(([k, url]) => [k, new Pool(url, { connections: 8 })])) as Record<keyof typeof targets, Pool>;
  const batch = async (which: keyof typeof targets, count: number) => {
    let left = count;
    const worker = async () => {
      while (left-- > 0) {
        const { statusCode, body } = await pools[which].request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${which === 'direct' ? 'sk-bench-upstream' : BENCH_KEY}` }, body: requestBody(false) });
        await body.text();
        if (statusCode !== 200) throw new Error(`${which}: HTTP ${statusCode}`);
      }
    };
    const c0 = process.cpuUsage();
    await Promise.all(Array.from({ length: 8 }, worker));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / count;
  };
  const seen: Record<keyof typeof targets, number[]> = { direct: [], sqlite: [], redis: [] };
  try {
    for (const k of Object.keys(targets) as (keyof typeof targets)[]) await batch(k, 300); // warm-up
    for (let r = 0; r < rounds; r++) for (const k of Object.keys(targets) as (keyof typeof targets)[]) seen[k].push(await batch(k, n));
  } finally {
    await Promise.all(Object.values(pools).map((p) => p.close()));
    await sqlite.close();
    await onRedis.close();
    await upstream.proc.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { sqliteUs: med(seen.sqlite) - med(seen.direct), redisUs: med(seen.redis) - med(seen.direct) };
}

export function roundTripsMarkdown(rows: Awaited<ReturnType<typeof measureRoundTrips>>): string {
  const names = [...new Set(rows.flatMap((r) => [...r.commands.keys()]))];
  const body = names
    .sort((a, b) => (PHASE[a] ?? 'other').localeCompare(PHASE[b] ?? 'other'))
    .map((name) => [PHASE[name] ?? 'other', name, ...rows.map((r) => (r.commands.get(name) ?? 0).toFixed(2))]);
  body.push(['**total commands**', '', ...rows.map((r) => [...r.commands.values()].reduce((a, b) => a + b, 0).toFixed(2))]);
  body.push(['**round trips** (server reads)', '', ...rows.map((r) => r.roundTrips.toFixed(2))]);
  return table(['phase', 'command / script', ...rows.map((r) => `per ${r.kind} request`)], body);
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const rows = await measureRoundTrips();
  const cpu = await measureStateCpu();
  const cpuLine = `Gateway CPU per request, targets set: SQLite ${cpu.sqliteUs.toFixed(0)} µs, Redis ${cpu.redisUs.toFixed(0)} µs = **${(cpu.redisUs / cpu.sqliteUs).toFixed(2)}× the SQLite figure** (goal ≤ 1.3×; both gateways in this process, 8 in flight, minus the same requests sent straight to the upstream, median of 3 interleaved rounds; Redis's own process not counted).`;
  return {
    title: 'Redis commands and round trips per request',
    markdown: `${roundTripsMarkdown(rows)}\n\n${cpuLine}\n\nMethod: the gateway in process with the targets set on a local redis-server, ${N} sequential requests per kind after 50 warm-up ones; commands from MONITOR (scripts named by SHA), round trips = the server's total_reads_processed delta (one request at a time, so a pipelined batch is one read), both ÷ requests, the ledger's write-behind flush included.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`### ${r.title}\n\n${r.markdown}`);
  process.exit(0);
}
