/**
 * Soak run: a gateway process (`src/cli.ts`, SQLite store on disk, a metered team so every request reserves and
 * settles) under a fixed request rate for a bounded time, half streaming, against the in-process fake upstream.
 * Every `--sample` seconds it reads the gateway's own /metrics (prom-client process series: RSS, heap used,
 * event-loop delay p99) and prints a row; at the end a markdown table and a trend verdict: the least-squares
 * slope of RSS and of the heap's floor (minimum of 3 consecutive samples) over the second half must project to less than max(5 MB, 5 %) of growth over that
 * half, and no request may fail. Exit code 1 when the verdict fails.
 *
 *   npx tsx scripts/soak.ts --minutes 10 --rate 200 [--stream 0.5] [--sample 10] [--out soak.md]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startFakeUpstream } from '../test/fakes/fake-upstream.js';
import { startGatewayProcess } from '../test/helpers/gateway-process.js';
import { METERED_KEY, writeOpsConfig } from '../test/ops/ops-harness.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    stream: { type: 'string', default: '0.5' },
    sample: { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const streamShare = Number(values.stream);
const sampleMs = Number(values.sample) * 1000;

/** One sample window: what the gateway reported at its end, and what the load saw during it. */
interface Sample {
  atS: number;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  rssMb: number;
  heapMb: number;
  eldP99Ms: number;
}

/** /metrics on the API port needs the metrics token (it lists every team). */
const SOAK_METRICS_TOKEN = 'soak-metrics-token';

const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
  const upstream = await startFakeUpstream({ record: false });
  const file = writeOpsConfig(dir, 'soak.yaml', upstream, { kind: 'sqlite', dataDir: join(dir, 'data') }, { logLevel: 'warn', metrics: { token: SOAK_METRICS_TOKEN } });
  const gw = await startGatewayProcess(file);
  const pool = new Pool(gw.url, { connections: 64, pipelining: 1 });
  const errors = new Map<string, number>();
  let win = { sent: 0, ok: 0, failed: 0, lat: [] as number[] };
  let totals = { sent: 0, ok: 0, failed: 0 };
  let seq = 0;

  const one = async () => {
    const stream = Math.random() < streamShare;
    const t0 = performance.now();
    win.sent++;
    totals.sent++;
    try {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${METERED_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: seq % 3 === 0 ? 'claude-haiku-4-5' : 'gpt-4o-mini',
          stream,
          messages: [{ role: 'user', content: `soak request ${seq++}: summarise the quarterly report in two lines` }],
          max_tokens: 64,
        }),
      });
      const text = await res.body.text();
      const good = res.statusCode === 200 && (!stream || text.endsWith('data: [DONE]\n\n'));
      if (!good) throw new Error(`status ${res.statusCode}${stream ? ' stream' : ''}: ${text.slice(-120)}`);
      win.ok++;
      totals.ok++;
      win.lat.push(performance.now() - t0);
    } catch (err) {
      win.failed++;
      totals.failed++;
      const k = (err as Error).message.slice(0, 160);
      errors.set(k, (errors.get(k) ?? 0) + 1);
    }
  };

  const samples: Sample[] = [];
  const started = performance.now();
  const endAt = started + minutes * 60_000;
  const inflight = new Set<Promise<void>>();
  let issued = 0;
  console.log(`soak: ${minutes} min at ${rate} req/s (${Math.round(streamShare * 100)} % streaming), gateway pid ${gw.child.pid}, sample every ${sampleMs / 1000} s`);
  console.log('   t(s)   sent     ok  fail   p50ms   p99ms   rssMB  heapMB  eldP99ms');

  const sampler = setInterval(async () => {
    const w = win;
    win = { sent: 0, ok: 0, failed: 0, lat: [] };
    try {
      const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${SOAK_METRICS_TOKEN}` } })).text();
      const s: Sample = {
        atS: Math.round((performance.now() - started) / 1000),
        sent: w.sent,
        ok: w.ok,
        failed: w.failed,
        p50: pct(w.lat, 50),
        p99: pct(w.lat, 99),
        rssMb: metric(text, 'process_resident_memory_bytes') / 2 ** 20,
        heapMb: metric(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
        eldP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      };
      samples.push(s);
      console.log(
        [s.atS, s.sent, s.ok, s.failed].map((v) => String(v).padStart(7)).join('') +
          [s.p50, s.p99, s.rssMb, s.heapMb, s.eldP99Ms].map((v) => v.toFixed(1).padStart(8)).join(''),
      );
    } catch (err) {
      console.log(`sample failed: ${(err as Error).message}`);
    }
  }, sampleMs);

  // Open loop: requests are issued on schedule whether or not earlier ones finished (no coordinated omission).
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (issued < due) {
      issued++;
      const p = one().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  clearInterval(sampler);
  await pool.close();
  const exit = await gw.stop('SIGTERM');
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });

  const half = samples.slice(Math.floor(samples.length / 2));
  const xs = half.map((s) => s.atS / 60);
  const verdictOf = (name: string, ys: number[]) => {
    const perMin = slope(xs, ys);
    const spanMin = xs.length > 1 ? xs.at(-1)! - xs[0] : 0;
    const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
    const allowed = Math.max(5, 0.05 * mean);
    const growth = perMin * spanMin;
    return { name, perMin, growth, allowed, ok: growth < allowed };
  };
  // Heap used sampled at arbitrary points of the GC sawtooth swings by tens of MB; its floor (the minimum over
  // three consecutive samples) tracks the live set, which is what a leak grows.
  const heapFloor = half.map((_, i) => Math.min(...half.slice(Math.max(0, i - 2), i + 1).map((s) => s.heapMb)));
  const trends = [verdictOf('RSS', half.map((s) => s.rssMb)), verdictOf('heap used (floor of 3 samples)', heapFloor)];
  const ok = totals.failed === 0 && trends.every((t) => t.ok) && exit === 0 && half.length >= 3;

  const md = [
    `Soak: ${minutes} min at ${rate} req/s (${Math.round(streamShare * 100)} % streaming, gpt-4o-mini and claude-haiku-4-5 through the fake upstream), metered team on a SQLite store; ${totals.sent} requests, ${totals.ok} ok, ${totals.failed} failed; gateway exit code ${exit}.`,
    '',
    '| t (s) | requests | failed | p50 ms | p99 ms | RSS MB | heap used MB | event-loop p99 ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...samples.map((s) => `| ${s.atS} | ${s.sent} | ${s.failed} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.rssMb.toFixed(1)} | ${s.heapMb.toFixed(1)} | ${s.eldP99Ms.toFixed(1)} |`),
    '',
    ...trends.map((t) => `- ${t.name}: slope over the second half ${t.perMin >= 0 ? '+' : ''}${t.perMin.toFixed(2)} MB/min → ${t.growth >= 0 ? '+' : ''}${t.growth.toFixed(1)} MB over it (allowed < ${t.allowed.toFixed(1)} MB): ${t.ok ? 'flat' : 'GROWING'}`),
    `- errors: ${totals.failed === 0 ? 'none' : [...errors].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
    `- verdict: **${ok ? 'PASS' : 'FAIL'}**`,
  ].join('\n');
  console.log(`\n${md}`);
  if (values.out) writeFileSync(values.out, md + '\n');
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
