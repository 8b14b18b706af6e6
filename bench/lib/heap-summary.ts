// Summarises a V8 sampling heap profile (from BENCH_HEAP_PROF=1 BENCH_CPU_PROF=<dir>): bytes allocated per
// function, and per allocating frame with the nearest frame of our own code above it, so "who makes the garbage
// the GC spends its time on" is one command away.
// npx tsx bench/lib/heap-summary.ts <file.heapprofile> [top=25]
// The window profiler samples collected objects too, so the figures are allocation, not retention.
import { readFileSync } from 'node:fs';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const ours = /\/(dist\/)?(src|guards|providers)\//;

function frameName(n: HeapNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/(dist\/)/, '');
  return `${functionName || '(anonymous)'}${short ? ` ${short}:${lineNumber + 1}` : ''}`;
}

/** Bytes per allocating function and per (allocating frame, nearest own frame), largest first. Pure. */
export function summariseHeapProfile(head: HeapNode): { totalBytes: number; functions: [string, number][]; byOwnFrame: [string, number][] } {
  const fn = new Map<string, number>();
  const pair = new Map<string, number>();
  let totalBytes = 0;
  // Iterative walk: allocation stacks can be deeper than the JS call stack allows for recursion.
  const stack: [HeapNode, string][] = [[head, '(none)']];
  while (stack.length) {
    const [n, ownAbove] = stack.pop()!;
    const name = frameName(n);
    const own = ours.test(n.callFrame.url) && !n.callFrame.url.includes('node_modules') ? name : ownAbove;
    if (n.selfSize) {
      totalBytes += n.selfSize;
      fn.set(name, (fn.get(name) ?? 0) + n.selfSize);
      const k = own === name ? name : `${name}  ← ${own}`;
      pair.set(k, (pair.get(k) ?? 0) + n.selfSize);
    }
    for (const c of n.children) stack.push([c, own]);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]);
  return { totalBytes, functions: sorted(fn), byOwnFrame: sorted(pair) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: heap-summary.ts <file.heapprofile> [top]');
  const top = Number(topArg ?? 25);
  const s = summariseHeapProfile((JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head);
  const pct = (b: number) => `${((100 * b) / s.totalBytes).toFixed(1).padStart(5)}%`;
  console.log(`allocated (sampled estimate) ${(s.totalBytes / 1e6).toFixed(1)} MB\n\nby allocating function:`);
  for (const [k, b] of s.functions.slice(0, top)) console.log(`${pct(b)}  ${k}`);
  console.log('\nby allocating function ← nearest own frame above it:');
  for (const [k, b] of s.byOwnFrame.slice(0, top)) console.log(`${pct(b)}  ${k}`);
}
