/**
 * Idle memory (issue 22.5): RSS of the bare Node proxy and of the gateway (features off, targets set, all on)
 * after a short warm-up (every request path run once), idle for 3 s and again after SETTLE_S s of idle (by then V8's
 * memory reducer has run: it returns the young generation that start-up and traffic grew, 8 s or more after
 * activity stops); for each gateway a heap snapshot
 * (node --heapsnapshot-signal) summarised by holder (bench/lib/heap-snapshot-summary.ts), so what holds the
 * rest of the RSS above the bare proxy is named. No embedding model is loaded (semantic cache off).
 * Run alone: `npx tsx bench/idle-memory.ts` (BENCH_IDLE_PEERS=bare,gateway-core to choose).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, openLoop } from './lib/load.js';
import { pinSelf, rssMb } from './lib/proc.js';
import { fmt, ratio, table } from './lib/stats.js';
import { summariseSnapshot } from './lib/heap-snapshot-summary.js';
import { LOAD_CPU, PEERS, startUpstream } from './peers/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Seconds of idle before the second reading. V8 starts its memory reducer 8 s after the last mark-compact and
 * checks again every 8 s while the process stays idle; a gateway gave its young generation back 20–30 s after start. */
const SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_S ?? 40);

interface IdleFigures {
  id: string;
  name: string;
  rssMb?: number;
  /** RSS after SETTLE_S s of idle. */
  settledMb?: number;
  heapMb?: number;
  top?: [string, number][];
  skip?: string;
}

async function snapshotOf(pid: number, dir: string): Promise<{ heapMb: number; top: [string, number][] } | undefined> {
  process.kill(pid, 'SIGUSR2');
  // Written by the child's main thread; done when the file stops growing.
  let last = -1;
  for (let i = 0; i < 120; i++) {
    await sleep(500);
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    if (!f) continue;
    const size = statSync(join(dir, f)).size;
    if (size > 0 && size === last) {
      const r = summariseSnapshot(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      rmSync(join(dir, f));
      return { heapMb: r.totalBytes / 1048576, top: r.groups.slice(0, 8) };
    }
    last = size;
  }
  return undefined;
}

export async function measureIdle(ids = (process.env.BENCH_IDLE_PEERS ?? 'bare,gateway-off,gateway-core,gateway-all').split(',')): Promise<IdleFigures[]> {
  pinSelf(String(LOAD_CPU));
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
  const before = process.env.BENCH_GATEWAY_NODE_FLAGS;
  process.env.BENCH_GATEWAY_NODE_FLAGS = `${before ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`.trim();
  const out: IdleFigures[] = [];
  try {
    for (const id of ids) {
      const peer = PEERS.find((p) => p.id === id);
      if (!peer) throw new Error(`unknown peer ${id}`);
      const run = await peer.start(upstream.port);
      if ('skip' in run) {
        out.push({ id, name: peer.name, skip: run.skip });
        continue;
      }
      try {
        const pool = createPool(run.target, 16);
        await openLoop(pool, run.target, { rate: 100, durationMs: 1000, stream: false });
        await openLoop(pool, run.target, { rate: 50, durationMs: 1000, stream: true });
        await pool.close();
        await sleep(3000);
        const rss = run.proc ? rssMb(run.proc.pid).rss : undefined;
        await sleep((SETTLE_S - 3) * 1000);
        const settled = run.proc ? rssMb(run.proc.pid).rss : undefined;
        const snap = id.startsWith('gateway-') && run.proc ? await snapshotOf(run.proc.pid, dir) : undefined;
        out.push({ id, name: peer.name, rssMb: rss, settledMb: settled, heapMb: snap?.heapMb, top: snap?.top });
      } finally {
        await run.proc?.stop();
      }
    }
  } finally {
    if (before === undefined) delete process.env.BENCH_GATEWAY_NODE_FLAGS;
    else process.env.BENCH_GATEWAY_NODE_FLAGS = before;
    await upstream.proc.stop();
    rmSync(dir, { recursive: true, force: true });
    pinSelf('0-1');
  }
  return out;
}

export function idleMarkdown(rows: IdleFigures[]): string {
  const bareRow = rows.find((r) => r.id === 'bare');
  const main = table(
    ['peer', 'idle RSS MB, 3 s', '× bare', `idle RSS MB, ${SETTLE_S} s`, '× bare', 'live JS heap MB (snapshot)', 'largest holders (live MB)'],
    rows.map((r) =>
      r.skip
        ? [r.name, '–', '–', '–', '–', '–', `skipped: ${r.skip}`]
        : [
            r.name,
            fmt(r.rssMb, 0),
            r.id === 'bare' ? '–' : ratio(r.rssMb, bareRow?.rssMb),
            fmt(r.settledMb, 0),
            r.id === 'bare' ? '–' : ratio(r.settledMb, bareRow?.settledMb),
            fmt(r.heapMb, 1),
            (r.top ?? []).slice(0, 5).map(([g, b]) => `${g} ${(b / 1048576).toFixed(1)}`).join('; ') || '–',
          ],
    ),
  );
  return `${main}\n\nMethod: each peer alone after 1 s of JSON at 100/s and 1 s of streams at 50/s, then idle: RSS read after 3 s and after ${SETTLE_S} s (V8's memory reducer, which gives back the young generation that start-up and traffic grew, starts 8 s after activity stops); RSS = VmRSS of the process tree; the gateway's heap snapshot (node --heapsnapshot-signal, taken after both readings) grouped by holder with bench/lib/heap-snapshot-summary.ts (self sizes: compiled code, strings, objects by constructor). RSS above the live heap is V8's reserved-but-free heap pages (young generation), code space, native libraries (better-sqlite3, hnswlib-node) and thread stacks.`;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  return { title: 'Idle memory and what holds it', markdown: idleMarkdown(await measureIdle()) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`### ${r.title}\n\n${r.markdown}`);
}
