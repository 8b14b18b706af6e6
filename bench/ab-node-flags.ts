// A/B of node flags (runtime tuning) for one peer: one child per variant, all started at once, then interleaved
// rounds — each variant in turn, the others idle — of a fixed-rate phase (CPU ms per request) and a closed-loop
// saturation phase, so the VM's drift hits every variant alike. The quick overhead bench runs one 2 s saturation
// round per peer, too noisy to see a 5 % change; this is how the `npm start` flags were chosen.
//   npx tsx bench/ab-node-flags.ts [--peer gateway-core] [--rounds 5] -- "--max-semi-space-size=16" ""
// A gateway variant runs with `npm start`'s node flags and then its own (V8 takes the last, so a variant can undo
// one of them); "" is `npm start` unchanged. For `bare` the flags go to the bare proxy, on Node's defaults.
import { closedLoop, createPool, openLoop } from './lib/load.js';
import { cpuMs, pinSelf } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { LOAD_CPU, PEERS, startUpstream, type RunningPeer } from './peers/index.js';

const RATE = 800;
const RATE_MS = 8000;
const SAT_MS = 4000;
const SAT_CONNECTIONS = 32;

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const dash = argv.indexOf('--');
const variants = dash >= 0 ? argv.slice(dash + 1) : ['--max-semi-space-size=16', ''];
const peer = PEERS.find((p) => p.id === option('--peer', 'gateway-core'));
if (!peer) throw new Error(`no peer ${option('--peer', '')}; one of ${PEERS.map((p) => p.id).join(', ')}`);
const rounds = Number(option('--rounds', '5'));
const flagsVar = peer.id === 'bare' ? 'BENCH_BARE_NODE_FLAGS' : 'BENCH_GATEWAY_NODE_FLAGS';

pinSelf(String(LOAD_CPU));
const upstream = await startUpstream();
const running: RunningPeer[] = [];
try {
  for (const flags of variants) {
    process.env[flagsVar] = flags;
    const r = await peer.start(upstream.port);
    if ('skip' in r) throw new Error(r.skip);
    running.push(r);
    const pool = createPool(r.target, 256);
    await openLoop(pool, r.target, { rate: 500, durationMs: 3000, stream: false }); // warm-up (JIT, pools)
    await pool.close();
  }
  const results = variants.map(() => ({ cpu: [] as number[], sat: [] as number[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const [i, r] of running.entries()) {
      const pool = createPool(r.target, 256);
      const c0 = cpuMs(r.proc!.pid);
      const fixed = await openLoop(pool, r.target, { rate: RATE, durationMs: RATE_MS, stream: false });
      const cpu = (cpuMs(r.proc!.pid) - c0) / fixed.ok;
      await pool.close();
      const sat = await closedLoop(r.target, { connections: SAT_CONNECTIONS, durationMs: SAT_MS, stream: false });
      const rps = (sat.ok * 1000) / sat.elapsedMs;
      results[i]!.cpu.push(cpu);
      results[i]!.sat.push(rps);
      const errors = fixed.errors + sat.errors;
      console.log(`round ${round} ${JSON.stringify(variants[i])}: ${cpu.toFixed(3)} CPU ms/req at ${RATE}/s, ${Math.round(rps)} req/s saturated${errors ? `, ${errors} errors` : ''}`);
    }
  }
  console.log(`\n${peer.name}, median of ${rounds} rounds:`);
  for (const [i, r] of results.entries()) {
    const wins = i === 0 ? '' : `, faster saturation than ${JSON.stringify(variants[0])} in ${r.sat.filter((s, k) => s > results[0]!.sat[k]!).length}/${rounds} rounds`;
    console.log(`  ${JSON.stringify(variants[i])}: ${percentile(r.cpu, 50).toFixed(3)} CPU ms/req, ${Math.round(percentile(r.sat, 50))} req/s${wins}`);
  }
} finally {
  await Promise.all(running.map((r) => r.proc?.stop()));
  await upstream.proc.stop();
}
