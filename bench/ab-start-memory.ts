// A/B of two (or more) builds of the gateway for start-up and idle memory (issue 22.5 and 22.6): in each round
// every build in turn (alternating order) is spawned fresh, pinned to CPU 0, and timed spawn → `GET /readyz` 200;
// (and its CPU time to then); then its first request (new connection), a short warm-up (1 s of JSON at 100/s, 1 s of streams at 50/s, as in
// bench/idle-memory.ts), 3 s idle, and its RSS split by /proc/<pid>/smaps_rollup (anonymous = heaps, WASM memory,
// malloc; file = mapped code of node and native addons). Medians over the rounds.
//   npx tsx bench/ab-start-memory.ts [--features off,core] [--rounds 5] -- <distA> <distB>
// A build is a compiled tree holding src/cli.js under a directory with its package.json (a `git archive` of a
// commit with node_modules linked in, `tsc -p tsconfig.build.json` and the postbuild step), as for ab-builds.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { startNodeFlags } from '../src/build/start-flags.js';
import { createPool, openLoop } from './lib/load.js';
import { cpuMs, freePort, pinSelf, spawnPinned } from './lib/proc.js';
import { percentile } from './lib/stats.js';
import { BENCH_KEY, benchConfig, type FeatureSet } from './peers/gateway-config.js';
import { timedRequest, untilHealthy } from './start-up.js';
import { LOAD_CPU, PROXY_CPU, startUpstream } from './peers/index.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const dash = argv.indexOf('--');
const builds = dash >= 0 ? argv.slice(dash + 1).map((d) => resolve(d)) : [];
if (builds.length < 2) throw new Error('usage: npx tsx bench/ab-start-memory.ts [--features off,core] [--rounds 5] -- <distA> <distB>');
const featureSets = option('--features', 'off,core').split(',') as FeatureSet[];
const rounds = Number(option('--rounds', '5'));
const extraFlags = option('--node-flags', '').split(' ').filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function smaps(pid: number): { rss: number; anon: number; file: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0) / 1024;
  return { rss: kb('Rss'), anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') };
}

interface Row {
  readyMs: number;
  /** CPU time (user + system) of the process up to ready: steadier than wall time on a shared machine. */
  readyCpuMs: number;
  firstMs: number;
  rss: number;
  anon: number;
  file: number;
}

pinSelf(String(LOAD_CPU));
const upstream = await startUpstream();
const results = new Map<string, Row[]>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const features of featureSets) {
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        const dir = mkdtempSync(join(tmpdir(), 'ab-start-'));
        const port = await freePort();
        const config = join(dir, 'gateway.yaml');
        writeFileSync(config, JSON.stringify(benchConfig(`http://127.0.0.1:${upstream.port}`, features, join(dir, 'data'), port)));
        const target = { origin: `http://127.0.0.1:${port}`, path: '/v1/chat/completions', headers: { authorization: `Bearer ${BENCH_KEY}` } };
        const t0 = performance.now();
        const proc = await spawnPinned(PROXY_CPU, process.execPath, [...startNodeFlags(), ...extraFlags, join(build, 'src', 'cli.js'), '--config', config], { port });
        try {
          await untilHealthy(target.origin, '/readyz', t0 + 30_000);
          const readyMs = performance.now() - t0;
          const readyCpuMs = cpuMs(proc.pid);
          const first = new Pool(target.origin, { connections: 1 });
          const firstMs = await timedRequest(first, target).finally(() => first.close());
          const pool = createPool(target, 16);
          await openLoop(pool, target, { rate: 100, durationMs: 1000, stream: false });
          await openLoop(pool, target, { rate: 50, durationMs: 1000, stream: true });
          await pool.close();
          await sleep(3000);
          const key = `${features} ${build}`;
          results.set(key, [...(results.get(key) ?? []), { readyMs, readyCpuMs, firstMs, ...smaps(proc.pid) }]);
          const row = results.get(key)!.at(-1)!;
          console.error(`round ${r + 1} ${key}: ready ${row.readyMs.toFixed(0)} ms (CPU ${row.readyCpuMs.toFixed(0)} ms), first ${row.firstMs.toFixed(1)} ms, RSS ${row.rss.toFixed(1)} MB (anon ${row.anon.toFixed(1)}, file ${row.file.toFixed(1)})`);
        } finally {
          await proc.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
} finally {
  await upstream.proc.stop();
}

const med = (rows: Row[], k: keyof Row) => percentile(rows.map((x) => x[k]), 50);
console.log('| features | build | spawn → ready ms | CPU to ready ms | first request ms | idle RSS MB | anon MB | file MB |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const features of featureSets) {
  for (const build of builds) {
    const rows = results.get(`${features} ${build}`) ?? [];
    console.log(`| ${features} | ${build} | ${med(rows, 'readyMs').toFixed(0)} | ${med(rows, 'readyCpuMs').toFixed(0)} | ${med(rows, 'firstMs').toFixed(1)} | ${med(rows, 'rss').toFixed(1)} | ${med(rows, 'anon').toFixed(1)} | ${med(rows, 'file').toFixed(1)} |`);
  }
}
