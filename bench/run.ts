// `npm run bench`: the proxy-overhead comparison (bench/gateway-overhead.ts), then every per-area bench that
// exists (bench/<name>.ts exporting run()), written to docs/performance.md and printed.
//   npm run bench                     full run (~6–8 min on 2 cores)
//   npm run bench -- --quick          short phases and smaller area sizes (CI smoke, busy machines)
//   npm run bench -- --only gateway   only the overhead comparison (keeps the area section of the doc)
//   npm run bench -- --only areas     only the per-area benches (keeps the gateway section of the doc)
//   npm run bench -- --note "text"    a line added under the header (e.g. what else ran on the machine)
//   npm run bench -- --no-write       print only
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineMarkdown, watchOtherLoad } from './lib/machine.js';
import { run as runOverhead } from './gateway-overhead.js';
import { longOptionsFromEnv, longStreamsMarkdown, measureLongStreams } from './long-streams.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join(root, 'docs', 'performance.md');
/** Per-area benches, in report order; missing files are skipped. */
export const AREA_BENCHES = ['pii', 'injection', 'guard-latency', 'model-guards', 'tokens', 'state', 'redis-round-trips', 'idle-memory', 'start-up', 'workers', 'vector', 'cache-quality', 'semantic-verify', 'routing', 'ingress'];

const SECTIONS = ['gateway', 'streams', 'areas'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  only?: Section;
  note?: string;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = value('--only');
  if (only !== undefined && !SECTIONS.includes(only as Section)) throw new Error(`--only takes ${SECTIONS.join(', ')}, not ${only}`);
  return { quick: argv.includes('--quick'), only: only as Section | undefined, note: value('--note'), write: !argv.includes('--no-write') };
}

const section = (name: string, body: string) => `<!-- bench:${name} -->\n${body}\n<!-- /bench:${name} -->`;

/** The previous text of a section in docs/performance.md, so `--only` keeps the other one. */
function previousSection(name: string): string | undefined {
  if (!existsSync(DOC)) return undefined;
  const m = new RegExp(`<!-- bench:${name} -->\\n([\\s\\S]*?)\\n<!-- /bench:${name} -->`).exec(readFileSync(DOC, 'utf8'));
  return m?.[1];
}

/** Text people wrote after the last generated section (the analysis of the figures) survives a re-run. */
function handWrittenTail(): string {
  if (!existsSync(DOC)) return '';
  const text = readFileSync(DOC, 'utf8');
  const end = text.indexOf('<!-- /bench:areas -->');
  return end < 0 ? '' : text.slice(end + '<!-- /bench:areas -->'.length).replace(/^\n/, '');
}

async function runAreas(quick: boolean, log: (l: string) => void): Promise<string> {
  if (quick) {
    // Smaller sizes, still the same code paths (each bench reads these; an explicit env value wins).
    for (const [k, v] of Object.entries({ BENCH_VECTOR_N: '20000', BENCH_STATE_N: '500', BENCH_ROUTING_N: '500', BENCH_EMBED_ROUNDS: '3', BENCH_IDLE_MS: '300', BENCH_GUARD_LATENCY_N: '40' })) process.env[k] ??= v;
  }
  const parts: string[] = [];
  for (const name of AREA_BENCHES) {
    const file = join(root, 'bench', `${name}.ts`);
    if (!existsSync(file)) continue;
    log(`area bench: ${name}`);
    const t0 = performance.now();
    try {
      const mod = (await import(pathToFileURL(file).href)) as { run?: () => Promise<{ title: string; markdown: string }> };
      if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts does not export run()`);
      const r = await mod.run();
      parts.push(`### ${r.title}\n\n${r.markdown}\n\n<sub>bench/${name}.ts, ${((performance.now() - t0) / 1000).toFixed(1)} s</sub>`);
    } catch (e) {
      parts.push(`### bench/${name}.ts\n\nFailed: \`${String((e as Error).message ?? e).slice(0, 300)}\``);
    }
  }
  return parts.join('\n\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const started = new Date();
  const t0 = performance.now();
  const otherLoad = watchOtherLoad();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : ''}`;

  let gateway = previousSection('gateway');
  if (!args.only || args.only === 'gateway') {
    const r = await runOverhead({ quick: args.quick, log });
    gateway = `## ${r.title}\n\n${r.markdown}`;
  }
  let streams = previousSection('streams');
  if (!args.only || args.only === 'streams') {
    const opts = longOptionsFromEnv(args.quick);
    streams = `## Long streams: thousands of concurrent LLM streams\n\n${longStreamsMarkdown(await measureLongStreams({ ...opts, log }))}`;
  }
  let areas = previousSection('areas');
  if (!args.only || args.only === 'areas') areas = `## Per-area benchmarks\n\n${await runAreas(args.quick, log)}`;

  const machine = machineMarkdown(otherLoad());
  const provisional = args.quick || machine.busy;
  const header = [
    '# Performance',
    '',
    provisional
      ? `> **Provisional** (${[args.quick ? 'quick run: short phases' : '', machine.busy ? `machine shared during the run: ${machine.otherWork}` : ''].filter(Boolean).join('; ')}). Re-run \`npm run bench\` on a quiet machine for figures to quote.`
      : `> Figures from one ${args.only ? `run of the ${args.only} section` : 'full run'} on a quiet machine.`,
    // With --only, the other section's figures (and its machine and load) are those of an earlier run.
    ...(args.only ? ['', `> Only the ${args.only} section was re-run; the ${SECTIONS.filter((x) => x !== args.only).join(' and ')} sections are kept from an earlier run.`] : []),
    ...(args.note ? ['', `> ${args.note}`] : []),
    '',
    `Command: \`${command}\` — ${started.toISOString()}, ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    '',
    machine.markdown,
    '',
    '## Method',
    '',
    'Every proxy runs in its own child process pinned to CPU 0 (`taskset -c 0`); the upstream (a lean',
    'OpenAI-format server, bench/lib/upstream-server.ts: JSON answers and SSE streams of 9 events written as separate',
    'chunks 1 ms apart, usage chunk included, keep-alive) and the load generator (undici, bench/lib/load.ts) share',
    'CPU 1. Proxies are measured one after another against the same upstream in the same run, so compare ratios and',
    'differences, not absolute times. Each request is a realistic small chat request (system + user message with an',
    'e-mail address, a unique ticket number so the cache never hits). Per proxy: a smoke request (JSON and stream),',
    'a warm-up, then **open-loop** phases at 500 and 1,000 req/s (fixed send schedule, latency from the intended',
    'send time, so queueing behind a slow proxy is counted), a streaming phase at 200 streams/s (time to first',
    'content chunk = the first chunk carrying the first token). Then **closed-loop** saturation (32 connections,',
    'back to back) in 3 interleaved rounds of 4 s — every proxy once per round, in turn, the others idle — and each',
    'proxy\'s median round counts, so drift in the shared machine\'s speed hits all proxies alike. "Added" = the',
    'proxy\'s percentile minus the direct call\'s percentile in the same',
    'run. CPU ms/request = utime+stime of the proxy process tree (/proc/<pid>/stat) during the 1,000 req/s phase ÷',
    'requests; RSS from /proc/<pid>/status (VmRSS, VmHWM) after the run. On 2 cores the direct and nginx saturation',
    'figures are bounded by CPU 1 (upstream + load generator), not by the proxy: read "proxy CPU at saturation".',
  ].join('\n');

  const doc = `${header}\n\n${section('gateway', gateway ?? '_not run yet_')}\n\n${section('streams', streams ?? '_not run yet_')}\n\n${section('areas', areas ?? '_not run yet_')}\n${handWrittenTail()}`;
  if (args.write) writeFileSync(DOC, doc);
  console.log(doc);
  if (args.write) log(`wrote ${DOC}`);
}

await main();
