// What a proxy in front of the upstream costs: direct vs nginx vs a bare Node proxy vs Portkey vs our gateway
// (features off / all on), measured one after another in the same run against the same upstream. Open-loop
// latency at fixed rates, streamed time to first chunk, closed-loop saturation, CPU ms per request and RSS of
// the proxy process (pinned to CPU 0; upstream and this load generator on CPU 1).
// Run alone: npx tsx bench/gateway-overhead.ts [--quick] [--peers direct,bare,gateway-all]
import { closedLoop, createPool, openLoop, type PhaseResult } from './lib/load.js';
import { cpuMs, canPin, pinSelf, rssMb } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { LOAD_CPU, PEERS, startUpstream, type Peer } from './peers/index.js';
import { overheadMarkdown, type PeerFigures, type PhaseFigures } from './lib/overhead-report.js';

/** Phase lengths; `quick` is a smoke run (CI, shared machines), the default the figures to publish. */
export interface OverheadOptions {
  quick?: boolean;
  /** Peer ids to run (default all): direct, nginx, bare, portkey, gateway-off, gateway-all. */
  peers?: string[];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export const RATES = [500, 1000] as const;
// Streams at a moderate rate, so time to first chunk shows the per-request path rather than queueing (the
// fixed-rate JSON phases cover behaviour under load).
export const STREAM_RATE = 200;
const SAT_CONNECTIONS = 32;

function durations(quick: boolean) {
  return quick ? { warmMs: 1000, rateMs: 3000, streamMs: 2000, satMs: 2000 } : { warmMs: 3000, rateMs: 10_000, streamMs: 8000, satMs: 5000 };
}

function phaseFigures(r: PhaseResult, cpu?: number): PhaseFigures {
  return {
    ok: r.ok,
    errors: r.errors,
    firstError: r.firstError,
    cacheHits: r.cacheHits,
    p50: percentile(r.latency, 50),
    p99: percentile(r.latency, 99),
    ttfc50: percentile(r.ttfc, 50),
    ttfc99: percentile(r.ttfc, 99),
    rps: (r.ok * 1000) / r.elapsedMs,
    elapsedMs: r.elapsedMs,
    proxyCpuMs: cpu,
    generatorCpuMs: r.generatorCpuMs,
  };
}

async function measurePeer(peer: Peer, upstreamPort: number, quick: boolean, log: (l: string) => void): Promise<PeerFigures> {
  const d = durations(quick);
  let running;
  try {
    running = await peer.start(upstreamPort);
  } catch (e) {
    return { id: peer.id, name: peer.name, note: '', skip: `failed to start: ${(e as Error).message.slice(0, 300)}` };
  }
  if ('skip' in running) return { id: peer.id, name: peer.name, note: '', skip: running.skip };
  const { proc, target, note } = running;
  const pool = createPool(target, 256);
  const cpuNow = () => (proc ? cpuMs(proc.pid) : NaN);
  try {
    // Smoke: both kinds of request must succeed before anything is measured.
    for (const stream of [false, true]) {
      const smoke = await openLoop(pool, target, { rate: 20, durationMs: 250, stream });
      if (smoke.errors) return { id: peer.id, name: peer.name, note, skip: `smoke request failed (${stream ? 'stream' : 'JSON'}): ${smoke.firstError}` };
    }
    log(`  ${peer.name}: warm-up`);
    await openLoop(pool, target, { rate: 500, durationMs: d.warmMs, stream: false });
    await openLoop(pool, target, { rate: 200, durationMs: d.warmMs / 2, stream: true });

    const fixed: Record<number, PhaseFigures> = {};
    for (const rate of RATES) {
      log(`  ${peer.name}: ${rate} req/s open loop, ${d.rateMs / 1000} s`);
      const c0 = cpuNow();
      const r = await openLoop(pool, target, { rate, durationMs: d.rateMs, stream: false });
      fixed[rate] = phaseFigures(r, cpuNow() - c0);
    }
    log(`  ${peer.name}: streams at ${STREAM_RATE} req/s, ${d.streamMs / 1000} s`);
    let c0 = cpuNow();
    const stream = phaseFigures(await openLoop(pool, target, { rate: STREAM_RATE, durationMs: d.streamMs, stream: true }), cpuNow() - c0);
    await pool.close();
    log(`  ${peer.name}: saturation, ${SAT_CONNECTIONS} connections, ${d.satMs / 1000} s`);
    c0 = cpuNow();
    const sat = phaseFigures(await closedLoop(target, { connections: SAT_CONNECTIONS, durationMs: d.satMs, stream: false }), cpuNow() - c0);
    const mem = proc ? rssMb(proc.pid) : undefined;
    return { id: peer.id, name: peer.name, note, fixed, stream, sat, rssMb: mem?.rss, peakRssMb: mem?.peak };
  } finally {
    await pool.close().catch(() => {});
    await proc?.stop();
  }
}

/** Runs every selected peer in turn; returns the figures (for the report and for tests of the harness). */
export async function measureOverhead(opts: OverheadOptions = {}): Promise<{ peers: PeerFigures[]; pinned: boolean; quick: boolean; load: [number[], number[]] }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const quick = opts.quick ?? false;
  const { loadavg } = await import('node:os');
  const load0 = loadavg();
  pinSelf(String(LOAD_CPU));
  const upstream = await startUpstream();
  const peers: PeerFigures[] = [];
  try {
    for (const peer of PEERS.filter((p) => !opts.peers || opts.peers.includes(p.id))) {
      log(`${peer.name}`);
      const figures = await measurePeer(peer, upstream.port, quick, log);
      if (figures.skip) log(`  skipped: ${figures.skip}`);
      peers.push(figures);
    }
  } finally {
    await upstream.proc.stop();
    pinSelf('0-1');
  }
  return { peers, pinned: canPin(), quick, load: [load0, loadavg()] };
}

export async function run(opts: OverheadOptions = {}): Promise<{ title: string; markdown: string }> {
  const m = await measureOverhead(opts);
  return { title: 'Gateway overhead vs direct, nginx, a bare Node proxy and Portkey', markdown: overheadMarkdown(m) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const peersArg = args.indexOf('--peers');
  const r = await run({ quick: args.includes('--quick'), peers: peersArg >= 0 ? args[peersArg + 1].split(',') : undefined });
  console.log(`## ${r.title}\n\n${r.markdown}`);
}
