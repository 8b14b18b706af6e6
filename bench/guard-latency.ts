/**
 * Added latency of each in-process input guard per request (issue 20.5): a gateway in process with one team per
 * guard (none, prompt guard, injection detector, PII with the default categories, all three), the same requests
 * sent to every team, interleaved with the order rotated each round, against a local fake provider. Requests are
 * ~2 KB windows of the varied corpus of guards/pii/bench/speed.ts (prose, code, logs, forms).
 *
 * Two figures per guard and text kind: the request latency through the HTTP listener (p50/p99, and "added" = the
 * same percentile minus the no-guard team's), and the guard's own time as the pipeline audits it into the request's
 * log line (`guards[].ms`), which other load on the machine disturbs far less.
 * Run alone: npx tsx bench/guard-latency.ts   (BENCH_GUARD_LATENCY_N=40 for a quicker run)
 */
import { loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';
import { variedCorpus } from '../guards/pii/bench/speed.js';
import { latencyCells, withGuardTeams } from './lib/guard-teams.js';
import { percentile as pct, table } from './lib/stats.js';

const N = Number(process.env.BENCH_GUARD_LATENCY_N ?? 150);
const WARMUP = 15;
const WINDOW = 2000;
const f = (x: number) => x.toFixed(2);

const PROMPT = { deny: ['(?i)reveal (your|the) system prompt', '(?i)\\bdo anything now\\b', '(?i)disregard (all|any) (prior|previous) (rules|instructions)'] };
const INJECTION = { enabled: true, action: 'flag' };
const PII = { enabled: true, defaultAction: 'pseudonymise' };
const TEAMS: Record<string, object> = {
  none: {},
  'prompt guard': { prompt: PROMPT },
  injection: { injection: INJECTION },
  'pii (default categories)': { pii: PII },
  'all three': { prompt: PROMPT, injection: INJECTION, pii: PII },
};
/** Guard names in the audit (`guards[].guard`) summed for a team's own time. */
const AUDITED: Record<string, string[]> = {
  'prompt guard': ['prompt'], injection: ['injection'], 'pii (default categories)': ['pii'], 'all three': ['prompt', 'injection', 'pii'],
};

/** `n` request texts of one kind: consecutive ~2 KB windows (cut at a line or word end) of its texts. */
function windows(texts: string[], n: number): string[] {
  const out: string[] = [];
  for (const t of texts) {
    for (let at = 0; at < t.length && out.length < n; ) {
      let end = Math.min(t.length, at + WINDOW);
      if (end < t.length) {
        const cut = Math.max(t.lastIndexOf('\n', end), t.lastIndexOf(' ', end));
        if (cut > at + WINDOW / 2) end = cut;
      }
      const w = t.slice(at, end).trim();
      if (w.length >= 200) out.push(w);
      at = end;
    }
    if (out.length >= n) break;
  }
  return out;
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const corpus = variedCorpus();
  const kinds = Object.keys(corpus);
  const requests = Object.fromEntries(kinds.map((k) => [k, windows(corpus[k]!, WARMUP + N)]));
  const names = Object.keys(TEAMS);
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  // The request log line carries each guard's audited time; keep the last one per team.
  let lastGuardMs = new Map<string, number>();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line.includes('"guards"')) continue;
        const rec = JSON.parse(line) as { team?: string; guards?: { guard: string; ms: number }[] };
        const team = Number(String(rec.team).slice(1));
        const own = AUDITED[names[team]!] ?? [];
        lastGuardMs.set(names[team]!, (rec.guards ?? []).filter((g) => own.includes(g.guard)).reduce((s, g) => s + g.ms, 0));
      }
      cb();
    },
  });

  type Figures = { http: number[]; guard: number[] };
  const times: Record<string, Record<string, Figures>> = Object.fromEntries(
    kinds.map((k) => [k, Object.fromEntries(names.map((n) => [n, { http: [], guard: [] }]))]),
  );
  const load = await withGuardTeams(
    async (own) => {
      const upstream = own(await startFakeUpstream({ record: false }));
      return {
        keyPrefix: 'guard-latency',
        teams: TEAMS,
        logger: createLogger('info', sink),
        config: {
          providers: { openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-bench', timeouts } },
          models: { 'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 } },
        },
      };
    },
    async (b) => {
      for (const kind of kinds) {
        const texts = requests[kind]!;
        await b.interleave(texts.length, async (i, idx) => {
          const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: texts[i] }], max_tokens: 50 });
          lastGuardMs = new Map();
          const r = await b.send(idx, body);
          if (r.status !== 200) throw new Error(`${names[idx]} on ${kind} #${i}: HTTP ${r.status}`);
          if (i < WARMUP) return;
          const fig = times[kind]![names[idx]!]!;
          fig.http.push(r.ms);
          await new Promise((res) => setImmediate(res)); // the log line is written after the response
          const g = lastGuardMs.get(names[idx]!);
          if (g !== undefined) fig.guard.push(g);
        });
      }
      return loadavg()[0]!.toFixed(1);
    },
  );

  const rows: string[][] = [];
  for (const kind of kinds) {
    const base = times[kind]!.none!.http;
    const bytes = requests[kind]!.slice(WARMUP).reduce((s, t) => s + t.length, 0) / N;
    for (const n of names) {
      const { http, guard } = times[kind]![n]!;
      const none = n === 'none';
      rows.push([
        `${kind} (${Math.round(bytes)} B)`, n, ...latencyCells(http, none ? undefined : base),
        none ? '—' : f(pct(guard, 50)), none ? '—' : f(pct(guard, 99)),
      ]);
    }
  }
  const markdown = [
    table(['text', 'team guards', 'request p50 ms', 'request p99 ms', 'added p50 ms', 'added p99 ms', 'guard time p50 ms', 'guard time p99 ms'], rows),
    '',
    `Method: ${N} non-streaming requests per text kind and team (after ${WARMUP} warm-up rounds), one user message of ` +
      'about 2 KB from the varied corpus, the same requests to every team, interleaved with the order rotated each ' +
      'round, against a local fake provider. "Added" is the percentile minus the no-guard team\'s; "guard time" is what ' +
      `the pipeline audits for the guard (guards[].ms of the request log line). Load average ${load} at the end (2 cores ` +
      'shared: absolute times provisional, compare rows of one run).',
  ].join('\n');
  return { title: 'Input guards: added latency per request (prompt guard, injection, PII by text kind)', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
