// What a proxy in front of the upstream costs: direct vs nginx vs a bare Node proxy vs Portkey vs our gateway
// (features off / all on), measured one after another in the same run against the same upstream. Open-loop
// latency at fixed rates, streamed time to first chunk, closed-loop saturation, CPU ms per request and RSS of
// the proxy process (pinned to CPU 0; upstream and this load generator on CPU 1).
// Run alone: npx tsx bench/gateway-overhead.ts [--quick] [--peers direct,bare,gateway-all]
import { closedLoop, createPool, openLoop, type PhaseResult, type Target } from './lib/load.js';
import { cpuMs, canPin, pinSelf, rssMb, type PinnedProcess } from './lib/proc.js';
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
  return quick
    ? { warmMs: 1000, rateMs: 3000, streamMs: 2000, satMs: 2000, satRounds: 1 }
    : { warmMs: 3000, rateMs: 10_000, streamMs: 8000, satMs: 4000, satRounds: 3 };
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

/** A peer after its latency phases: still running, waiting for the saturation rounds. */
interface Measured {
  figures: PeerFigures;
  target?: Target;
  proc?: PinnedProcess;
}

/** Starts a peer and runs its latency phases; it stays up for the saturation rounds (`stop()` it after). */
async function measureLatency(peer: Peer, upstreamPort: number, quick: boolean, log: (l: string) => void): Promise<Measured> {
  const d = durations(quick);
  let running;
  try {
    running = await peer.start(upstreamPort);
  } catch (e) {
    return { figures: { id: peer.id, name: peer.name, note: '', skip: `failed to start: ${(e as Error).message.slice(0, 300)}` } };
  }
  if ('skip' in running) return { figures: { id: peer.id, name: peer.name, note: '', skip: running.skip } };
  const { proc, target, note, profile } = running;
  const pool = createPool(target, 256);
  const cpuNow = () => (proc ? cpuMs(proc.pid) : NaN);
  let ok = false;
  try {
    // Smoke: both kinds of request must succeed before anything is measured.
    for (const stream of [false, true]) {
      const smoke = await openLoop(pool, target, { rate: 20, durationMs: 250, stream });
      if (smoke.errors) return { figures: { id: peer.id, name: peer.name, note, skip: `smoke request failed (${stream ? 'stream' : 'JSON'}): ${smoke.firstError}` } };
    }
    log(`  ${peer.name}: warm-up`);
    await openLoop(pool, target, { rate: 500, durationMs: d.warmMs, stream: false });
    await openLoop(pool, target, { rate: 200, durationMs: d.warmMs / 2, stream: true });

    // The profiled phase: the 1,000 req/s one, or the streams with BENCH_PROF_PHASE=stream.
    const profiled = process.env.BENCH_PROF_PHASE === 'stream' ? 'stream' : 1000;
    const fixed: Record<number, PhaseFigures> = {};
    for (const rate of RATES) {
      log(`  ${peer.name}: ${rate} req/s open loop, ${d.rateMs / 1000} s`);
      if (rate === profiled) profile?.start();
      const c0 = cpuNow();
      const r = await openLoop(pool, target, { rate, durationMs: d.rateMs, stream: false });
      fixed[rate] = phaseFigures(r, cpuNow() - c0);
      if (rate === profiled) await profile?.stop();
    }
    log(`  ${peer.name}: streams at ${STREAM_RATE} req/s, ${d.streamMs / 1000} s`);
    if (profiled === 'stream') profile?.start();
    const c0 = cpuNow();
    const stream = phaseFigures(await openLoop(pool, target, { rate: STREAM_RATE, durationMs: d.streamMs, stream: true }), cpuNow() - c0);
    if (profiled === 'stream') await profile?.stop();
    ok = true;
    return { figures: { id: peer.id, name: peer.name, note, fixed, stream }, target, proc };
  } finally {
    await pool.close().catch(() => {});
    if (!ok) await proc?.stop();
  }
}

/**
 * Saturation in interleaved rounds: every peer once per round, in turn, and each peer's median round counts.
 * Why: the ratios between peers are the figures that matter, and on a shared VM the speed of the machine drifts
 * over the minutes one peer after another takes; interleaving exposes every peer to the same drift.
 */
async function measureSaturation(measured: Measured[], quick: boolean, log: (l: string) => void): Promise<void> {
  const { satMs, satRounds } = durations(quick);
  const rounds = new Map<Measured, PhaseFigures[]>();
  for (let round = 1; round <= satRounds; round++) {
    log(`saturation round ${round}/${satRounds}: ${SAT_CONNECTIONS} connections, ${satMs / 1000} s per peer`);
    for (const m of measured) {
      if (!m.target) continue;
      const cpuNow = () => (m.proc ? cpuMs(m.proc.pid) : NaN);
      const c0 = cpuNow();
      const r = phaseFigures(await closedLoop(m.target, { connections: SAT_CONNECTIONS, durationMs: satMs, stream: false }), cpuNow() - c0);
      rounds.set(m, [...(rounds.get(m) ?? []), r]);
    }
  }
  for (const [m, rs] of rounds) {
    const sorted = [...rs].sort((a, b) => a.rps - b.rps);
    m.figures.sat = { ...sorted[Math.floor(sorted.length / 2)]!, errors: rs.reduce((n, r) => n + r.errors, 0), firstError: rs.find((r) => r.firstError)?.firstError };
    const mem = m.proc ? rssMb(m.proc.pid) : undefined;
    m.figures.rssMb = mem?.rss;
    m.figures.peakRssMb = mem?.peak;
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
  const measured: Measured[] = [];
  try {
    // Latency phases one peer at a time; the others wait idle (pinned to the same core, they use no CPU).
    for (const peer of PEERS.filter((p) => !opts.peers || opts.peers.includes(p.id))) {
      log(`${peer.name}`);
      const m = await measureLatency(peer, upstream.port, quick, log);
      if (m.figures.skip) log(`  skipped: ${m.figures.skip}`);
      measured.push(m);
    }
    await measureSaturation(measured, quick, log);
  } finally {
    await Promise.all(measured.map((m) => m.proc?.stop()));
    await upstream.proc.stop();
    pinSelf('0-1');
  }
  return { peers: measured.map((m) => m.figures), pinned: canPin(), quick, load: [load0, loadavg()] };
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
