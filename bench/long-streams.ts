// Long LLM streams at scale (issue 22.2): C concurrent streams of CHUNKS content events GAP_MS apart, through
// direct, the bare Node proxy (its socket cap lifted), Portkey and the gateway (features off, targets set, all
// on), in interleaved rounds (every peer once per C per round, in turn; each figure is the median round).
// Per peer and C: proxy CPU per 1,000 streamed chunks, memory per open stream (peak RSS while all C are open
// minus RSS before the phase, ÷ C), inter-chunk gap p50/p99 and the added gap vs direct, time to first content
// chunk, errors, and for the gateway that every stream was billed (usage-ledger requests == streams answered).
//
//   npx tsx bench/long-streams.ts                     default: C = 200, 1000, 3000, largest the fd limit allows;
//                                                     streams of 150 chunks × 20 ms, 1 round (~3–4 min)
//   BENCH_LONG_FULL=1 npx tsx bench/long-streams.ts   the issue's 500 chunks × 20 ms, 3 rounds
//   BENCH_LONG_C=200,1000 BENCH_LONG_CHUNKS=50 BENCH_LONG_GAP_MS=20 BENCH_LONG_ROUNDS=2 BENCH_LONG_PEERS=direct,bare,gateway-core
//   npm run bench -- --only streams                   the same, as a section of docs/performance.md
//   BENCH_CPU_PROF=/tmp/prof … npx tsx bench/long-streams.ts   and a CPU profile per gateway of the first C (round 1):
//                                                     npx tsx bench/lib/profile-summary.ts /tmp/prof/gateway-core.cpuprofile
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import Database from 'better-sqlite3';
import { requestBody, type Target } from './lib/load.js';
import { msSince, STAMP } from './lib/chunk-stamp.js';
import { cpuMs, pinSelf, rssMb, type PinnedProcess } from './lib/proc.js';
import { fmt, percentile, ratio, table } from './lib/stats.js';
import { bareProxyPeer, LOAD_CPU, PEERS, startLongUpstream, type Peer, type RunningPeer } from './peers/index.js';

export interface LongOptions {
  /** Concurrent streams per phase. */
  concurrency: number[];
  chunks: number;
  gapMs: number;
  rounds: number;
  /** Peer ids: direct, bare, portkey, gateway-off, gateway-core, gateway-all. */
  peers: string[];
  log?: (line: string) => void;
}

/** What one peer measured at one C (the median round when there are several). */
export interface LongFigures {
  peer: string;
  name: string;
  concurrency: number;
  streams: number;
  ok: number;
  errors: number;
  firstError?: string;
  chunks: number;
  /** Proxy CPU ms per 1,000 content chunks delivered (undefined for direct). */
  cpuPer1000?: number;
  /** KiB of proxy RSS per open stream. */
  kibPerStream?: number;
  /** Chunk transit time, upstream write → client read, p50/p99 (ms): direct's is the floor, the rest is added. */
  gapP50: number;
  gapP99: number;
  ttfcP50: number;
  ttfcP99: number;
  /** Generator + upstream CPU share of their core during the phase (1 = saturated: the floor is the limit). */
  floorCpu: number;
}

export interface LongPeerResult {
  id: string;
  name: string;
  note: string;
  skip?: string;
  phases: LongFigures[];
  /**
   * Gateway only: its usage ledger (requests, of which errors) against the streams sent to it and those that
   * failed (smoke included). Every stream billed = one ledger request per stream sent, failures as errors.
   */
  billed?: { ledger: number; ledgerErrors: number; sent: number; failed: number };
}

const DEFAULT_PEERS = ['direct', 'bare', 'portkey', 'gateway-off', 'gateway-core', 'gateway-all'];

/** The largest C the fd limit allows: a proxy holds two sockets per stream, plus room for its own files (2,000). */
export function maxConcurrency(): number {
  let limit = 1024;
  try {
    limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || limit;
  } catch {
    /* default */
  }
  return Math.max(100, Math.floor((limit - 2000) / 2 / 500) * 500);
}

/** Options from the environment (see the header); `quick` = a smoke-sized run for busy machines. */
export function longOptionsFromEnv(quick = false): LongOptions {
  const env = process.env;
  const full = env.BENCH_LONG_FULL === '1';
  const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  const cs = list(env.BENCH_LONG_C)?.map(Number) ?? (quick ? [50, 200] : [200, 1000, 3000, maxConcurrency()]);
  return {
    concurrency: [...new Set(cs.filter((c) => c > 0))],
    chunks: Number(env.BENCH_LONG_CHUNKS ?? (full ? 500 : quick ? 40 : 150)),
    gapMs: Number(env.BENCH_LONG_GAP_MS ?? 20),
    rounds: Number(env.BENCH_LONG_ROUNDS ?? (full ? 3 : 1)),
    peers: list(env.BENCH_LONG_PEERS) ?? DEFAULT_PEERS,
  };
}

const peerById = (id: string): Peer | undefined => (id === 'bare' ? bareProxyPeer(0) : PEERS.find((p) => p.id === id));

// A content delta carrying text (the role event's empty content does not count).
const CONTENT = /"content":"[^"]/g;

interface StreamSample {
  ok: number;
  errors: number;
  firstError?: string;
  chunks: number;
  /** Transit time of stamped chunks, upstream write → client read (ms). */
  delays: number[];
  ttfc: number[];
}

/** One stream: counts content chunks, reads the send stamps of every stamped chunk, times the first one. */
async function oneStream(pool: Pool, target: Target, s: StreamSample, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  try {
    const { statusCode, body } = await pool.request({
      method: 'POST',
      path: target.path,
      headers: { 'content-type': 'application/json', ...target.headers },
      body: requestBody(true),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    let first = true;
    let tail = '';
    let done = false;
    for await (const chunk of body) {
      const now = performance.now();
      const read = tail + chunk.toString();
      // Complete events only; an unfinished one waits for the next read.
      const end = read.lastIndexOf('\n\n') + 2;
      const text = read.slice(0, end);
      tail = read.slice(end);
      const n = text.match(CONTENT)?.length ?? 0;
      if (n > 0 && first) {
        s.ttfc.push(now - t0);
        first = false;
      }
      s.chunks += n;
      for (const m of text.matchAll(STAMP)) s.delays.push(msSince(m[1]!));
      if (text.includes('[DONE]')) done = true;
      if (statusCode !== 200 && text.length < 2000) s.firstError ??= `HTTP ${statusCode}: ${text.slice(0, 200)}`;
    }
    if (statusCode !== 200) throw new Error(s.firstError ?? `HTTP ${statusCode}`);
    if (!done) throw new Error('stream ended without [DONE]');
    s.ok++;
  } catch (e) {
    s.errors++;
    s.firstError ??= (e as Error).message.slice(0, 200);
  }
}

/**
 * C streams opened evenly over `rampMs`; resolves when all have ended, with RSS peak sampled meanwhile. Also the
 * phase of bench/ab-builds.ts --long (two builds of the gateway, one run).
 */
export async function phase(run: RunningPeer, c: number, opts: LongOptions, floorPids: number[]): Promise<LongFigures & { sample: StreamSample }> {
  const streamMs = opts.chunks * opts.gapMs;
  // All C are open together from the end of the ramp until the first stream ends (ramp = 30 % of a stream).
  const rampMs = streamMs * 0.3;
  const timeoutMs = streamMs * 4 + 30_000;
  const pool = new Pool(run.target.origin, { connections: c, pipelining: 1, keepAliveTimeout: 10_000 });
  const s: StreamSample = { ok: 0, errors: 0, chunks: 0, delays: [], ttfc: [] };
  const pid = run.proc?.pid;
  const rss0 = pid ? rssMb(pid).rss : NaN;
  let rssMax = rss0;
  const sampler = setInterval(() => {
    if (pid) rssMax = Math.max(rssMax, rssMb(pid).rss);
  }, 100);
  const cpu0 = pid ? cpuMs(pid) : NaN;
  const floor0 = floorPids.reduce((n, p) => n + cpuMs(p), 0) + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
  const t0 = performance.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < c; i++) {
    const due = t0 + (rampMs * i) / c;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    all.push(oneStream(pool, run.target, s, timeoutMs));
  }
  await Promise.all(all);
  const elapsed = performance.now() - t0;
  clearInterval(sampler);
  const cpu = pid ? cpuMs(pid) - cpu0 : NaN;
  const floor1 = floorPids.reduce((n, p) => n + cpuMs(p), 0) + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
  await pool.close().catch(() => {});
  return {
    peer: '',
    name: '',
    concurrency: c,
    streams: c,
    ok: s.ok,
    errors: s.errors,
    firstError: s.firstError,
    chunks: s.chunks,
    cpuPer1000: pid ? (cpu / s.chunks) * 1000 : undefined,
    kibPerStream: pid ? ((rssMax - rss0) * 1024) / c : undefined,
    gapP50: percentile(s.delays, 50),
    gapP99: percentile(s.delays, 99),
    ttfcP50: percentile(s.ttfc, 50),
    ttfcP99: percentile(s.ttfc, 99),
    floorCpu: (floor1 - floor0) / elapsed,
    sample: s,
  };
}

/** Requests in the gateway's usage ledger (after the write-behind flushed), or undefined when unreadable. */
async function ledgerRequests(dataDir: string | undefined): Promise<{ requests: number; errors: number } | undefined> {
  const file = dataDir && join(dataDir, 'gateway.sqlite');
  if (!file || !existsSync(file)) return undefined;
  // ledgerFlushMs (1 s by default) + the store's write-behind: wait for both before reading.
  await new Promise((r) => setTimeout(r, 2500));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(errors), 0) AS errors FROM usage_hourly').get() as { requests: number; errors: number };
  } finally {
    db.close();
  }
}

const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!;

export async function measureLongStreams(opts: LongOptions): Promise<{ results: LongPeerResult[]; opts: LongOptions }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  pinSelf(String(LOAD_CPU));
  const upstream = await startLongUpstream(opts.chunks, opts.gapMs);
  const running = new Map<string, { peer: Peer; run?: RunningPeer; result: LongPeerResult; sent: number; failed: number; rounds: Map<number, LongFigures[]> }>();
  try {
    for (const id of opts.peers) {
      const peer = peerById(id);
      if (!peer) throw new Error(`unknown peer ${id}; one of ${DEFAULT_PEERS.join(', ')}`);
      const result: LongPeerResult = { id, name: peer.name, note: '', phases: [] };
      const entry = { peer, result, sent: 0, failed: 0, rounds: new Map<number, LongFigures[]>() };
      running.set(id, entry);
      log(`long streams: starting ${peer.name}`);
      let r: RunningPeer | { skip: string };
      try {
        r = await peer.start(upstream.port);
      } catch (e) {
        result.skip = `failed to start: ${(e as Error).message.slice(0, 200)}`;
        continue;
      }
      if ('skip' in r) {
        result.skip = r.skip;
        continue;
      }
      result.note = r.note;
      // Smoke: a few streams must pass before anything is measured.
      const smoke = await phase(r, 3, { ...opts }, []);
      entry.sent += smoke.streams;
      entry.failed += smoke.errors;
      if (smoke.errors) {
        result.skip = `smoke streams failed: ${smoke.firstError}`;
        await r.proc?.stop();
        continue;
      }
      (entry as { run?: RunningPeer }).run = r;
    }
    const floorPids = [upstream.proc.pid];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const c of opts.concurrency) {
        for (const [id, e] of running) {
          if (!e.run) continue;
          log(`long streams round ${round}/${opts.rounds}: ${e.peer.name}, ${c} streams × ${opts.chunks} chunks × ${opts.gapMs} ms`);
          // BENCH_CPU_PROF=<dir>: a CPU profile of each gateway over its first measured phase (the first C).
          const profiled = round === 1 && c === opts.concurrency[0] ? e.run.profile : undefined;
          profiled?.start();
          const f = await phase(e.run, c, opts, floorPids);
          await profiled?.stop();
          e.sent += f.streams;
          e.failed += f.errors;
          const { sample: _s, ...figures } = f;
          e.rounds.set(c, [...(e.rounds.get(c) ?? []), { ...figures, peer: id, name: e.peer.name }]);
        }
      }
    }
    for (const e of running.values()) {
      for (const c of opts.concurrency) {
        const rs = e.rounds.get(c);
        if (!rs?.length) continue;
        const m = median(rs, (r) => r.cpuPer1000 ?? r.gapP99);
        e.result.phases.push({
          ...m,
          cpuPer1000: m.cpuPer1000 === undefined ? undefined : median(rs, (r) => r.cpuPer1000!).cpuPer1000,
          kibPerStream: m.kibPerStream === undefined ? undefined : median(rs, (r) => r.kibPerStream!).kibPerStream,
          gapP99: median(rs, (r) => r.gapP99).gapP99,
          errors: rs.reduce((n, r) => n + r.errors, 0),
          streams: rs.reduce((n, r) => n + r.streams, 0),
          ok: rs.reduce((n, r) => n + r.ok, 0),
          firstError: rs.find((r) => r.firstError)?.firstError,
        });
      }
      if (e.run?.dataDir) {
        const ledger = await ledgerRequests(e.run.dataDir);
        if (ledger !== undefined) e.result.billed = { ledger: ledger.requests, ledgerErrors: ledger.errors, sent: e.sent, failed: e.failed };
      }
    }
  } finally {
    await Promise.all([...running.values()].map((e) => e.run?.proc?.stop()));
    await upstream.proc.stop();
    pinSelf('0-1');
  }
  return { results: [...running.values()].map((e) => e.result), opts };
}

export function longStreamsMarkdown({ results, opts }: { results: LongPeerResult[]; opts: LongOptions }): string {
  const byC = (id: string, c: number) => results.find((r) => r.id === id)?.phases.find((p) => p.concurrency === c);
  const parts: string[] = [];
  for (const c of opts.concurrency) {
    const direct = byC('direct', c);
    const bare = byC('bare', c);
    const rows = results
      .filter((r) => !r.skip)
      .map((r) => {
        const p = byC(r.id, c);
        if (!p) return [r.name, ...Array(12).fill('–')];
        const addedP50 = direct ? p.gapP50 - direct.gapP50 : NaN;
        const addedP99 = direct ? p.gapP99 - direct.gapP99 : NaN;
        const bareAdded99 = bare && direct ? bare.gapP99 - direct.gapP99 : NaN;
        return [
          r.name,
          fmt(p.cpuPer1000, 1),
          r.id === 'bare' || !bare ? '–' : ratio(p.cpuPer1000, bare.cpuPer1000),
          fmt(p.kibPerStream, 1),
          r.id === 'bare' || !bare ? '–' : ratio(p.kibPerStream, bare.kibPerStream),
          fmt(p.gapP50, 1),
          fmt(p.gapP99, 1),
          r.id === 'direct' ? '–' : fmt(addedP50, 1),
          r.id === 'direct' ? '–' : fmt(addedP99, 1),
          r.id === 'direct' || r.id === 'bare' ? '–' : ratio(Math.max(addedP99, 0.1), Math.max(bareAdded99, 0.1)),
          `${fmt(p.ttfcP50, 1)} / ${fmt(p.ttfcP99, 1)}`,
          `${p.errors} / ${p.streams}${p.firstError ? ` (${p.firstError.replace(/\|/g, '/').slice(0, 60)})` : ''}`,
          `${Math.round(p.floorCpu * 100)} %`,
        ];
      });
    parts.push(
      `#### ${c.toLocaleString('en')} concurrent streams\n\n` +
        table(
          ['peer', 'CPU ms / 1,000 chunks', '× bare', 'KiB / open stream', '× bare', 'chunk delay p50 ms', 'p99 ms', 'added p50', 'added p99', 'added p99 × bare', 'TTFC p50 / p99 ms', 'errors / streams', 'floor core busy'],
          rows,
        ),
    );
  }
  const billed = results
    .filter((r) => r.billed)
    .map((r) => {
      const b = r.billed!;
      const ok = b.ledger === b.sent && b.ledgerErrors === b.failed;
      return `${r.name}: ledger ${b.ledger} requests (${b.ledgerErrors} errors) for ${b.sent} streams sent (${b.failed} failed) — ${ok ? 'every stream billed' : '**MISMATCH**'}`;
    });
  const skipped = results.filter((r) => r.skip).map((r) => `${r.name}: skipped (${r.skip})`);
  const notes = results.filter((r) => r.note).map((r) => `- **${r.name}**: ${r.note}`);
  return [
    ...parts,
    '',
    '**Billing:** ' + (billed.length ? billed.join('; ') : 'no gateway measured'),
    ...(skipped.length ? ['', skipped.join('; ')] : []),
    '',
    ...notes,
    '',
    `Method: ${opts.chunks} content chunks ${opts.gapMs} ms apart per stream (bench/lib/long-upstream.ts, one shared ticker), ` +
      `C streams opened evenly over 30 % of a stream's length so all C are open together, ${opts.rounds} interleaved round(s) ` +
      '(every peer once per C per round; median round). The bare proxy runs with no upstream socket cap. CPU = utime+stime of the ' +
      'proxy process tree during the phase ÷ content chunks delivered; memory = peak RSS sampled every 100 ms during the phase ' +
      'minus RSS before it, ÷ C; chunk delay = upstream write → client read of every 4th chunk (its send time is ' +
      'stamped in its text, one clock for all processes); "added" = minus direct\'s at the same C; "floor core busy" = CPU of the upstream + load generator (CPU 1) during the phase, ' +
      'near 100 % means the floor, not the proxy, limits that C. Billing: sum of requests in the gateway\'s usage ledger ' +
      '(usage_hourly, requests and errors) after the run vs streams sent to it and failed (smoke included).',
  ].join('\n');
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const r = await measureLongStreams(longOptionsFromEnv(process.argv.includes('--quick')));
  return { title: 'Long streams: thousands of concurrent LLM streams', markdown: longStreamsMarkdown(r) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  console.log(`## ${r.title}\n\n${r.markdown}`);
}
