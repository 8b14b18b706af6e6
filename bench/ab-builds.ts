// A/B of two (or more) builds of the gateway: one child per build, all started at once with the same feature set,
// then interleaved rounds — each build in turn, the others idle — of a fixed-rate phase (process CPU ms per
// request, /proc of the child) and optionally a closed-loop saturation phase, so the VM's drift hits every build
// alike. How the issue-22 hot-path changes were kept or dropped (docs/performance.md).
//   npx tsx bench/ab-builds.ts [--features budgets] [--rounds 5] [--stream] [--sat] [--prof <dir>] -- <distA> <distB>
// --prof writes a V8 CPU profile of each build's first fixed-rate phase to <dir>/build-<n>.cpuprofile
// (summarise with bench/lib/profile-summary.ts).
// --long [--c 200] [--chunks 150] [--gap 20] [--bare]: the phase is bench/long-streams.ts' instead (C concurrent
// streams of CHUNKS events GAP ms apart from its upstream), the figure CPU ms per 1,000 chunks delivered; --bare
// measures the bare Node proxy in the same rounds, for each build's × bare (issue 22.2: CPU per streamed chunk).
//   npx tsx bench/ab-builds.ts --long --features core --bare --rounds 5 -- <distA> <distB>
// A build is a compiled tree holding src/cli.js (`tsc -p tsconfig.build.json --outDir <dir>` of a checkout; put
// it under this repository, e.g. node_modules/.cache/, so that its packages resolve).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeFlags } from '../src/build/start-flags.js';
import { closedLoop, createPool, openLoop } from './lib/load.js';
import { cpuMs, freePort, pinSelf, spawnPinned, type PinnedProcess } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { BENCH_KEY, benchConfig, type FeatureSet } from './peers/gateway-config.js';
import { bareProxyPeer, LOAD_CPU, PROXY_CPU, startLongUpstream, startUpstream, type RunningPeer } from './peers/index.js';
import { phase as longPhase } from './long-streams.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const dash = argv.indexOf('--');
const builds = dash >= 0 ? argv.slice(dash + 1).map((d) => resolve(d)) : [];
if (builds.length < 2) throw new Error('usage: npx tsx bench/ab-builds.ts [--features budgets] [--rounds 5] -- <distA> <distB>');
const features = option('--features', 'budgets') as FeatureSet;
const rounds = Number(option('--rounds', '5'));
const rate = Number(option('--rate', '800'));
const rateMs = Number(option('--ms', '6000'));
const stream = argv.includes('--stream');
const sat = argv.includes('--sat');
const profDir = argv.includes('--prof') ? resolve(option('--prof', '')) : undefined;
if (profDir) mkdirSync(profDir, { recursive: true });
const long = argv.includes('--long') ? { c: Number(option('--c', '200')), chunks: Number(option('--chunks', '150')), gapMs: Number(option('--gap', '20')) } : undefined;
const withBare = long !== undefined && argv.includes('--bare');
const longOpts = long && { concurrency: [long.c], chunks: long.chunks, gapMs: long.gapMs, rounds: 1, peers: [] };

pinSelf(String(LOAD_CPU));
const upstream = long ? await startLongUpstream(long.chunks, long.gapMs) : await startUpstream();
let bare: RunningPeer | undefined;
const running: { proc: PinnedProcess; dir: string; target: { origin: string; path: string; headers: Record<string, string> } }[] = [];
try {
  for (const [n, build] of builds.entries()) {
    const prof = profDir ? ['--import', join(dirname(fileURLToPath(import.meta.url)), 'lib', 'profile-window.mjs')] : [];
    const env = profDir ? { BENCH_PROFILE_OUT: join(profDir, `build-${n}.cpuprofile`) } : {};
    const dir = mkdtempSync(join(tmpdir(), 'ab-build-'));
    const port = await freePort();
    const config = join(dir, 'gateway.yaml');
    writeFileSync(config, JSON.stringify(benchConfig(`http://127.0.0.1:${upstream.port}`, features, join(dir, 'data'), port)));
    const proc = await spawnPinned(PROXY_CPU, process.execPath, [...startNodeFlags(), ...prof, join(build, 'src', 'cli.js'), '--config', config], { port, env });
    const target = { origin: `http://127.0.0.1:${port}`, path: '/v1/chat/completions', headers: { authorization: `Bearer ${BENCH_KEY}` } };
    running.push({ proc, dir, target });
    if (longOpts) {
      await longPhase({ proc, target, note: '' }, Math.min(50, longOpts.concurrency[0]!), longOpts, []); // warm-up (JIT)
      continue;
    }
    const pool = createPool(target, 256);
    await openLoop(pool, target, { rate: 500, durationMs: 3000, stream }); // warm-up (JIT, pools)
    await pool.close();
  }
  if (withBare) {
    const r = await bareProxyPeer(0).start(upstream.port);
    if ('skip' in r) throw new Error(r.skip);
    bare = r;
    await longPhase(bare, Math.min(50, longOpts!.concurrency[0]!), longOpts!, []);
  }
  const results = builds.map(() => ({ cpu: [] as number[], sat: [] as number[] }));
  const bareCpu: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order too: the build measured first in a round is not always the same one.
    const order = round % 2 ? [...running.keys()] : [...running.keys()].reverse();
    // The bare proxy (--bare) goes between the builds' halves of the round, so neither end is always next to it.
    if (bare) {
      const f = await longPhase(bare, longOpts!.concurrency[0]!, longOpts!, [upstream.proc.pid]);
      bareCpu.push(f.cpuPer1000!);
      console.log(`round ${round} bare proxy: ${f.cpuPer1000!.toFixed(1)} CPU ms/1,000 chunks${f.errors ? `, ${f.errors} errors (${f.firstError})` : ''}`);
    }
    for (const i of order) {
      const r = running[i]!;
      const profiling = profDir !== undefined && round === 1;
      if (profiling) process.kill(r.proc.pid, 'SIGUSR2');
      if (longOpts) {
        const f = await longPhase({ proc: r.proc, target: r.target, note: '' }, longOpts.concurrency[0]!, longOpts, [upstream.proc.pid]);
        if (profiling) {
          process.kill(r.proc.pid, 'SIGUSR2');
          await new Promise((done) => setTimeout(done, 500));
        }
        results[i]!.cpu.push(f.cpuPer1000!);
        const x = bare ? ` (${(f.cpuPer1000! / bareCpu[bareCpu.length - 1]!).toFixed(2)}× bare)` : '';
        console.log(`round ${round} ${builds[i]}: ${f.cpuPer1000!.toFixed(1)} CPU ms/1,000 chunks${x}${f.errors ? `, ${f.errors} errors (${f.firstError})` : ''}`);
        continue;
      }
      const pool = createPool(r.target, 256);
      const c0 = cpuMs(r.proc.pid);
      const fixed = await openLoop(pool, r.target, { rate, durationMs: rateMs, stream });
      const cpu = (cpuMs(r.proc.pid) - c0) / fixed.ok;
      if (profiling) {
        process.kill(r.proc.pid, 'SIGUSR2');
        await new Promise((done) => setTimeout(done, 500)); // the child writes the profile from its event loop
      }
      await pool.close();
      results[i]!.cpu.push(cpu);
      let line = `round ${round} ${builds[i]}: ${cpu.toFixed(3)} CPU ms/${stream ? 'stream' : 'req'} at ${rate}/s`;
      if (sat) {
        const s = await closedLoop(r.target, { connections: 32, durationMs: 3000, stream });
        results[i]!.sat.push((s.ok * 1000) / s.elapsedMs);
        line += `, ${Math.round((s.ok * 1000) / s.elapsedMs)} req/s saturated`;
      }
      if (fixed.errors) line += `, ${fixed.errors} errors (${fixed.firstError})`;
      console.log(line);
    }
  }
  const what = long ? `, ${long.c} streams × ${long.chunks} chunks × ${long.gapMs} ms, CPU ms per 1,000 chunks` : stream ? ', streams' : '';
  console.log(`\nfeatures ${features}${what}, median of ${rounds} rounds:`);
  if (bare) console.log(`  bare proxy: ${percentile(bareCpu, 50).toFixed(3)} CPU ms`);
  for (const [i, r] of results.entries()) {
    // Also the median of each round's own ratio: a round measures every build within a minute or two, so a VM's
    // slower spell hits both sides of that ratio alike.
    const paired = r.cpu.map((c, k) => c / results[0]!.cpu[k]!);
    const ratio = i === 0 ? '' : `, × first: ${(percentile(r.cpu, 50) / percentile(results[0]!.cpu, 50)).toFixed(3)} (per round: median ${percentile(paired, 50).toFixed(3)}); cheaper in ${r.cpu.filter((c, k) => c < results[0]!.cpu[k]!).length}/${rounds} rounds`;
    const xBare = bare ? `, × bare ${(percentile(r.cpu, 50) / percentile(bareCpu, 50)).toFixed(2)}` : '';
    console.log(`  ${builds[i]}: ${percentile(r.cpu, 50).toFixed(3)} CPU ms${sat ? `, ${Math.round(percentile(r.sat, 50))} req/s` : ''}${xBare}${ratio}`);
  }
} finally {
  await bare?.proc?.stop();
  await Promise.all(running.map((r) => r.proc.stop().then(() => rmSync(r.dir, { recursive: true, force: true }))));
  await upstream.proc.stop();
}
