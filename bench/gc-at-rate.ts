// The latency tail at one fixed rate and the GC pauses behind it, per peer, in alternating rounds: the gateway
// (and the bare proxy) run with --trace-gc, and each phase reports its scavenges and mark-compacts with the heap
// growth per scavenge (what survives or is promoted), next to p50/p99/p99.9 and CPU per request. The overhead
// bench gives the ratio; this says whether GC pauses or plain queueing make the tail.
// npx tsx bench/gc-at-rate.ts   (env: RATE=1000 ROUNDS=2 PEERS=bare,gateway-core SHOW=1 prints each GC line)
import { createPool, openLoop } from './lib/load.js';
import { cpuMs, pinSelf } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { LOAD_CPU, PEERS, startUpstream } from './peers/index.js';

const rate = Number(process.env.RATE ?? 1000);
const rounds = Number(process.env.ROUNDS ?? 2);
const ids = (process.env.PEERS ?? 'bare,gateway-core').split(',');
process.env.BENCH_GATEWAY_NODE_FLAGS = `${process.env.BENCH_GATEWAY_NODE_FLAGS ?? ''} --trace-gc`;
process.env.BENCH_BARE_NODE_FLAGS = `${process.env.BENCH_BARE_NODE_FLAGS ?? ''} --trace-gc`;

interface Pause {
  major: boolean;
  ms: number;
  /** Heap used after minus before this GC's predecessor ended: growth between collections (MB). */
  after: number;
  line: string;
}
const GC_LINE = /(Scavenge|Mark-Compact)[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, ([\d.]+) \//;

pinSelf(String(LOAD_CPU));
const upstream = await startUpstream();
for (let round = 0; round < rounds; round++) {
  for (const id of ids) {
    const peer = PEERS.find((p) => p.id === id);
    if (!peer) throw new Error(`no peer ${id}`);
    const running = await peer.start(upstream.port);
    if ('skip' in running) {
      console.log(`${id}: skipped (${running.skip})`);
      continue;
    }
    const pauses: Pause[] = [];
    running.proc?.child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        const m = GC_LINE.exec(line);
        if (m) pauses.push({ major: m[1] === 'Mark-Compact', ms: Number(m[6]), after: Number(m[4]), line: line.trim() });
      }
    });
    const pool = createPool(running.target, 256);
    await openLoop(pool, running.target, { rate: 500, durationMs: 3000, stream: false });
    pauses.length = 0;
    const c0 = running.proc ? cpuMs(running.proc.pid) : NaN;
    const r = await openLoop(pool, running.target, { rate, durationMs: 10_000, stream: false });
    const cpu = running.proc ? cpuMs(running.proc.pid) - c0 : NaN;
    const lat = r.latency;
    const minor = pauses.filter((p) => !p.major);
    const major = pauses.filter((p) => p.major);
    const sum = (ps: Pause[]) => ps.reduce((a, p) => a + p.ms, 0);
    const max = (ps: Pause[]) => Math.max(0, ...ps.map((p) => p.ms));
    // Growth of the heap from one scavenge's end to the next's: what each scavenge kept (survivors and promotions).
    const kept = minor.slice(1).map((p, i) => p.after - minor[i]!.after).filter((x) => x > 0);
    const keptPerScavenge = kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : NaN;
    console.log(
      `${id} round ${round + 1}: ${rate} req/s, ok ${r.ok}, errors ${r.errors}; p50 ${percentile(lat, 50).toFixed(2)} p99 ${percentile(lat, 99).toFixed(2)} ` +
        `p99.9 ${percentile(lat, 99.9).toFixed(2)} max ${percentile(lat, 100).toFixed(1)} ms; CPU ${(cpu / r.ok).toFixed(3)} ms/req; ` +
        `${minor.length} scavenges (max ${max(minor).toFixed(1)} ms, total ${sum(minor).toFixed(0)} ms, heap kept ${keptPerScavenge.toFixed(2)} MB each), ` +
        `${major.length} mark-compacts (max ${max(major).toFixed(1)} ms, total ${sum(major).toFixed(0)} ms)`,
    );
    if (process.env.SHOW) for (const p of pauses) console.log(`    ${p.line.slice(0, 170)}`);
    await pool.close();
    await running.proc?.stop();
  }
}
await upstream.proc.stop();
process.exit(0);
