/**
 * Start-up (issue 22.6): spawn → ready of the bare Node proxy, Portkey and the gateway (features off, targets set,
 * all on), and each one's first request against its own steady state. Rounds are interleaved (peer A, B, C, A, B,
 * C, …) so the VM's drift hits every peer alike; figures are medians over the rounds.
 *
 *   ready: the bare proxy when its port accepts (it has no health route); Portkey when `GET /` answers 200 (its
 *   only health page); the gateway when `GET /readyz` answers 200 (state store open, tokenizers and request
 *   schema warmed: `src/server.ts` does that before it listens).
 *   first request: one non-streamed chat request on a new connection right after ready.
 *   steady state: the median of 200 sequential requests after 100 warm-up ones, on one keep-alive connection.
 *
 * Run alone: `npx tsx bench/start-up.ts` (BENCH_START_ROUNDS=5, BENCH_START_PEERS=bare,portkey,gateway-off,…).
 */
import { Pool } from 'undici';
import { requestBody, type Target } from './lib/load.js';
import { fmt, percentile, ratio, table } from './lib/stats.js';
import { pinSelf } from './lib/proc.js';
import { LOAD_CPU, PEERS, prepareGateway, startUpstream, type Peer } from './peers/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Round {
  readyMs: number;
  firstMs: number;
  steadyMs: number;
}

interface StartFigures {
  id: string;
  name: string;
  rounds: Round[];
  skip?: string;
}

/** The health path that means "ready" for a peer, or undefined when accepting connections is all it has. */
function healthPath(id: string): string | undefined {
  if (id === 'portkey') return '/';
  if (id.startsWith('gateway-')) return '/readyz';
  return undefined;
}

/** Polls `origin + path` until it answers 200; throws past `deadline` (performance.now()). */
export async function untilHealthy(origin: string, path: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${origin}${path}`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${origin}${path} not 200 within 30 s`);
    await sleep(2);
  }
}

/** One non-streamed chat request on `pool`: its time in ms (throws unless 200). */
export async function timedRequest(pool: Pool, target: Target): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({ method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...target.headers }, body: requestBody(false) });
  await res.body.arrayBuffer();
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return performance.now() - t0;
}

async function oneRound(peer: Peer, upstreamPort: number): Promise<Round | { skip: string }> {
  const t0 = performance.now();
  const run = await peer.start(upstreamPort);
  if ('skip' in run) return run;
  try {
    const path = healthPath(peer.id);
    if (path) await untilHealthy(run.target.origin, path, t0 + 30_000);
    const readyMs = performance.now() - t0;
    const first = new Pool(run.target.origin, { connections: 1 });
    const firstMs = await timedRequest(first, run.target);
    await first.close();
    const pool = new Pool(run.target.origin, { connections: 1, keepAliveTimeout: 60_000 });
    for (let i = 0; i < 100; i++) await timedRequest(pool, run.target);
    const steady: number[] = [];
    for (let i = 0; i < 200; i++) steady.push(await timedRequest(pool, run.target));
    await pool.close();
    return { readyMs, firstMs, steadyMs: percentile(steady, 50) };
  } finally {
    await run.proc?.stop();
  }
}

export async function measureStartUp(
  ids = (process.env.BENCH_START_PEERS ?? 'bare,portkey,gateway-off,gateway-core,gateway-all').split(','),
  rounds = Number(process.env.BENCH_START_ROUNDS ?? 5),
): Promise<StartFigures[]> {
  prepareGateway();
  pinSelf(String(LOAD_CPU));
  const upstream = await startUpstream();
  const out: StartFigures[] = ids.map((id) => {
    const peer = PEERS.find((p) => p.id === id);
    if (!peer) throw new Error(`unknown peer ${id}`);
    return { id, name: peer.name, rounds: [] };
  });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const fig of out) {
        if (fig.skip) continue;
        const got = await oneRound(PEERS.find((p) => p.id === fig.id)!, upstream.port);
        if ('skip' in got) fig.skip = got.skip;
        else fig.rounds.push(got);
      }
    }
  } finally {
    await upstream.proc.stop();
    pinSelf('0-1');
  }
  return out;
}

const median = (xs: number[]) => (xs.length ? percentile(xs, 50) : undefined);

export function startUpMarkdown(rows: StartFigures[]): string {
  const m = (r: StartFigures | undefined, k: keyof Round) => (r ? median(r.rounds.map((x) => x[k])) : undefined);
  const bare = rows.find((r) => r.id === 'bare');
  const portkey = rows.find((r) => r.id === 'portkey');
  const body = table(
    ['peer', 'spawn → ready ms (median)', '× bare', '× Portkey', 'first request ms', 'steady request ms (p50)', 'first ÷ steady'],
    rows.map((r) =>
      r.skip
        ? [r.name, '–', '–', '–', '–', '–', `skipped: ${r.skip}`]
        : [
            r.name,
            fmt(m(r, 'readyMs'), 0),
            r.id === 'bare' ? '–' : ratio(m(r, 'readyMs'), m(bare, 'readyMs')),
            r.id === 'portkey' || !portkey || portkey.skip ? '–' : ratio(m(r, 'readyMs'), m(portkey, 'readyMs')),
            fmt(m(r, 'firstMs')),
            fmt(m(r, 'steadyMs')),
            ratio(m(r, 'firstMs'), m(r, 'steadyMs'), 1),
          ],
    ),
  );
  const n = Math.max(...rows.map((r) => r.rounds.length));
  return `${body}\n\nMethod: ${n} interleaved rounds per peer, each a fresh process pinned to CPU ${0}; ready = the port accepts (bare proxy), \`GET /\` 200 (Portkey: its only health page), \`GET /readyz\` 200 (gateway: store open, tokenizers and request schema warmed before it listens). First request: one non-streamed chat request on a new connection right after ready. Steady: median of 200 sequential requests after 100 warm-up ones on one keep-alive connection. Goals: gateway spawn → ready ≤ Portkey's; first request ≤ 5× steady.`;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  return { title: 'Start-up and the first request', markdown: startUpMarkdown(await measureStartUp()) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`### ${r.title}\n\n${r.markdown}`);
}
