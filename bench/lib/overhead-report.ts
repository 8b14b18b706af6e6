/**
 * Markdown for the overhead bench: latency, streaming, cost and target tables from measured figures. Pure: the
 * same figures always give the same text (the machine line and date are added by bench/run.ts).
 */
import { fmt, ratio, table } from './stats.js';

/** Figures of one phase. Latencies in ms; CPU in ms of the proxy process tree during the phase. */
export interface PhaseFigures {
  ok: number;
  errors: number;
  firstError?: string;
  cacheHits?: number;
  p50: number;
  p99: number;
  ttfc50: number;
  ttfc99: number;
  rps: number;
  elapsedMs: number;
  proxyCpuMs?: number;
  generatorCpuMs: number;
}

/** Everything measured for one peer; `skip` says why it was not measured. */
export interface PeerFigures {
  id: string;
  name: string;
  note: string;
  skip?: string;
  fixed?: Record<number, PhaseFigures>;
  stream?: PhaseFigures;
  sat?: PhaseFigures;
  rssMb?: number;
  peakRssMb?: number;
}

const RATES = [500, 1000];
const cpuPerReq = (p?: PhaseFigures) => (p?.proxyCpuMs !== undefined && p.ok ? p.proxyCpuMs / p.ok : NaN);
const plus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? NaN : a - b);
const errs = (p: PeerFigures) =>
  [...RATES.map((r) => p.fixed?.[r]), p.stream, p.sat].reduce((n, f) => n + (f?.errors ?? 0), 0);

export function overheadMarkdown(m: { peers: PeerFigures[]; pinned: boolean; quick: boolean; load: [number[], number[]] }): string {
  const measured = m.peers.filter((p) => !p.skip);
  const by = (id: string) => measured.find((p) => p.id === id);
  const direct = by('direct');
  const bare = by('bare');
  const nginx = by('nginx');
  const portkey = by('portkey');
  const out: string[] = [];

  out.push('### Added latency, non-streaming (open loop, ms)\n');
  out.push(
    table(
      ['Proxy', ...RATES.flatMap((r) => [`p50 @${r}/s`, `p99 @${r}/s`, `added p50 @${r}/s`, `added p99 @${r}/s`]), 'errors'],
      measured.map((p) => [
        p.name,
        ...RATES.flatMap((r) => {
          const f = p.fixed?.[r];
          const d = direct?.fixed?.[r];
          return [fmt(f?.p50), fmt(f?.p99), p === direct ? '—' : fmt(plus(f?.p50, d?.p50)), p === direct ? '—' : fmt(plus(f?.p99, d?.p99))];
        }),
        String(errs(p)),
      ]),
    ),
  );

  out.push('\n### Streaming: time to first content chunk (open loop at 200 streams/s, ms)\n');
  out.push(
    table(
      ['Proxy', 'TTFC p50', 'TTFC p99', 'added p50', 'added p99', 'whole stream p50', 'whole stream p99'],
      measured.map((p) => [
        p.name,
        fmt(p.stream?.ttfc50),
        fmt(p.stream?.ttfc99),
        p === direct ? '—' : fmt(plus(p.stream?.ttfc50, direct?.stream?.ttfc50)),
        p === direct ? '—' : fmt(plus(p.stream?.ttfc99, direct?.stream?.ttfc99)),
        fmt(p.stream?.p50),
        fmt(p.stream?.p99),
      ]),
    ),
  );

  out.push('\n### Cost: CPU per request, saturation throughput, memory\n');
  out.push(
    table(
      ['Proxy', 'CPU ms/req @1000/s', 'CPU ms/stream', '× bare', '× nginx', 'one core ÷ CPU per req', 'saturation req/s', '× direct', '× bare', '× Portkey', 'proxy CPU at saturation', 'RSS MB', 'peak RSS MB'],
      measured.map((p) => {
        const cpu = cpuPerReq(p.fixed?.[1000]);
        const proxied = p !== direct;
        return [
          p.name,
          proxied ? fmt(cpu, 3) : '—',
          proxied ? fmt(cpuPerReq(p.stream), 3) : '—',
          proxied ? ratio(cpu, cpuPerReq(bare?.fixed?.[1000])) : '—',
          proxied ? ratio(cpu, cpuPerReq(nginx?.fixed?.[1000])) : '—',
          proxied ? fmt(1000 / cpu, 0) : '—',
          fmt(p.sat?.rps, 0),
          ratio(p.sat?.rps, direct?.sat?.rps),
          ratio(p.sat?.rps, bare?.sat?.rps),
          ratio(p.sat?.rps, portkey?.sat?.rps),
          proxied && p.sat?.proxyCpuMs !== undefined ? `${fmt((100 * p.sat.proxyCpuMs) / p.sat.elapsedMs, 0)}%` : '—',
          proxied ? fmt(p.rssMb, 0) : '—',
          proxied ? fmt(p.peakRssMb, 0) : '—',
        ];
      }),
    ),
  );

  // Issue 8's targets are stated "with auth, budgets and PII guard on": the `core` set.
  const all = by('gateway-core');
  const off = by('gateway-off');
  const check = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? '**pass**' : '**FAIL**');
  const row = (what: string, target: string, value: number | undefined, ok: boolean | undefined, unit = 'ms') => [
    what,
    target,
    value === undefined || !Number.isFinite(value) ? '–' : `${fmt(value, unit === '×' ? 2 : 2)}${unit === '×' ? '×' : ' ms'}`,
    check(value === undefined || !Number.isFinite(value) ? undefined : ok),
  ];
  const satRatio = (a?: PeerFigures, b?: PeerFigures) => (a?.sat && b?.sat ? a.sat.rps / b.sat.rps : undefined);
  const addedP99 = (p: PeerFigures | undefined, r: number) => plus(p?.fixed?.[r]?.p99, direct?.fixed?.[r]?.p99);
  const ttfc50 = plus(all?.stream?.ttfc50, direct?.stream?.ttfc50);
  const ttfc99 = plus(all?.stream?.ttfc99, direct?.stream?.ttfc99);
  out.push('\n### Targets (gateway with auth + budgets + rate limits + PII guard — the targets set — unless said)\n');
  out.push(
    table(
      ['Target', 'Goal', 'Measured', 'Result'],
      [
        row('added p99 at 1,000 req/s', '≤ 1.5 ms', addedP99(all, 1000), addedP99(all, 1000) <= 1.5),
        row('added p99 at 500 req/s (issue 2, features off)', '≤ 2 ms', addedP99(off, 500), addedP99(off, 500) <= 2),
        row('added p99 at 500 req/s', '≤ 2 ms', addedP99(all, 500), addedP99(all, 500) <= 2),
        row('saturation vs Portkey', '≥ 4×', satRatio(all, portkey), (satRatio(all, portkey) ?? 0) >= 4, '×'),
        row('saturation vs bare Node proxy', '≥ 0.6×', satRatio(all, bare), (satRatio(all, bare) ?? 0) >= 0.6, '×'),
        row('added time to first chunk, p50', '≤ 1 ms', ttfc50, ttfc50 <= 1),
        row('added time to first chunk, p99', '≤ 1 ms', ttfc99, ttfc99 <= 1),
      ],
    ),
  );

  out.push('\n### Configurations\n');
  for (const p of m.peers) out.push(`- **${p.name}**: ${p.skip ? `skipped — ${p.skip}` : p.note}`);
  const failing = measured.flatMap((p) =>
    [...RATES.map((r) => p.fixed?.[r]), p.stream, p.sat].filter((f) => f?.firstError).map((f) => `- ${p.name}: ${f!.errors} errors, first: \`${f!.firstError!.slice(0, 160)}\``),
  );
  if (failing.length) out.push('\n**Errors during the run:**\n', ...failing);
  const hits = measured.map((p) => [p.name, [...RATES.map((r) => p.fixed?.[r]), p.stream, p.sat].reduce((n, f) => n + (f?.cacheHits ?? 0), 0)] as const).filter(([, n]) => n > 0);
  if (hits.length) out.push('\n**Cache hits (the load is meant to miss; these flatter the figures):** ' + hits.map(([n, c]) => `${n}: ${c}`).join(', '));
  out.push(
    '',
    '"one core ÷ CPU per req" is the throughput a whole free core would give at the measured CPU cost: on a shared',
    'machine it is steadier than the measured saturation, which depends on how much of CPU 0 the proxy got.',
  );
  const gen = direct?.fixed?.[1000];
  out.push(
    '',
    `Load generator: ${gen ? `${fmt(gen.generatorCpuMs / gen.ok, 3)} ms CPU per request at 1,000 req/s (its own process.cpuUsage), ` : ''}` +
      `${m.pinned ? 'pinned with the upstream to CPU 1; every proxy pinned alone to CPU 0' : 'NOT pinned (taskset unavailable): figures mix CPUs'}. ` +
      `Load average before/after: ${m.load[0].map((x) => x.toFixed(2)).join(' ')} / ${m.load[1].map((x) => x.toFixed(2)).join(' ')}.`,
  );
  return out.join('\n');
}
