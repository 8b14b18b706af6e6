// Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=<dir> npm run bench): self time by function and by package
// or source folder, so "what dominates the hot path" is one command away.
// npx tsx bench/lib/profile-summary.ts <file.cpuprofile> [top=25]
// Percentages are of busy time (idle excluded); "inclusive" lists our own functions with what they call.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time (ms) per function and per area (node_modules package, or repo folder), largest first. Pure. */
export function summariseProfile(p: Profile): { totalMs: number; busyMs: number; functions: [string, number][]; areas: [string, number][]; inclusive: [string, number][] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Samples under the window profiler's own frames (starting the profiler logs every compiled function) are not
  // the gateway's work: left out.
  const underProfiler = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (byId.get(at)!.callFrame.url.endsWith('profile-window.mjs')) return true;
    }
    return false;
  };
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    if (!underProfiler(id)) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let totalMs = 0;
  for (const n of p.nodes) {
    const ms = self.get(n.id) ?? 0;
    if (!ms) continue;
    totalMs += ms;
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/(dist|src|guards|providers)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const a = !url
      ? functionName.startsWith('(') ? functionName : '(native)'
      : url.startsWith('node:')
        ? url.split('/')[0].replace(/:.*$/, ':') + url.slice(5).split('/')[0]
        : /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? short.split('/').slice(0, 2).join('/');
    area.set(a, (area.get(a) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]);
  // Inclusive time of our own functions (a recursive function counts once per stack, at its outermost frame).
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    if (!/\/(dist\/)?(src|guards|providers)\//.test(url) || url.includes('node_modules')) return undefined;
    return `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist\/)?((src|guards|providers)\/)/, '$2')}:${lineNumber + 1}`;
  };
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf(byId.get(at)!);
      if (k && !seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
      }
    }
  }
  const busyMs = totalMs - (area.get('(idle)') ?? 0);
  return { totalMs, busyMs, functions: sorted(fn), areas: sorted(area), inclusive: sorted(inclusive) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const s = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const pct = (ms: number) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)}%`;
  console.log(`total sampled ${s.totalMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms (percentages of busy)\n\nby area:`);
  for (const [k, ms] of s.areas.slice(0, top)) if (k !== '(idle)') console.log(`${pct(ms)}  ${k}`);
  console.log('\nby function (self time):');
  for (const [k, ms] of s.functions.slice(0, top)) if (!k.startsWith('(idle)')) console.log(`${pct(ms)}  ${k}`);
  console.log('\nour functions, inclusive:');
  for (const [k, ms] of s.inclusive.slice(0, top)) console.log(`${pct(ms)}  ${k}`);
}
