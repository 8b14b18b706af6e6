/**
 * The load generator, on undici. Open loop for latency: requests leave on a fixed schedule whatever the
 * answers do, and latency is measured from the intended send time, so a stalled proxy is charged for the queue
 * it causes (no coordinated omission). Closed loop for throughput: N connections each send the next request as
 * soon as the previous answer ends.
 */
import { Pool } from 'undici';

/** Where and how to send: origin, path and extra headers of one proxy under test. */
export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

/** What one phase measured. Latencies in ms; `ttfc` only for streams (time to the first content chunk). */
export interface PhaseResult {
  sent: number;
  ok: number;
  errors: number;
  /** First error seen, for the report. */
  firstError?: string;
  latency: Float64Array;
  ttfc: Float64Array;
  elapsedMs: number;
  /** Answers marked `x-gateway-cache: hit` (the load is meant to miss; a hit means the figures flatter). */
  cacheHits: number;
  /** CPU ms this (the generator's) process used during the phase. */
  generatorCpuMs: number;
}

const PROMPT =
  'You are reviewing a support ticket. Customer Jane Cooper (jane.cooper@example.com) says her order #1048576 ' +
  'arrived damaged and asks for a replacement before Friday. Summarise the request in two sentences, suggest a ' +
  'polite reply, and list what the agent should check in the order system before answering. Ticket ref ';

let nonce = 0;
// Letters, not digits: the PII guard rightly takes digit runs like "17938-10" for phone numbers and replaces them
// with a placeholder, which would make prompts identical again (and cache hits) in the all-on gateway.
const letters = (n: number) => n.toString(26).replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 26)));
/** A realistic small chat request; the unique ticket reference makes every request a cache miss. */
export function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a concise, helpful support assistant.' },
      { role: 'user', content: `${PROMPT}${letters(process.pid)}-${letters(++nonce)}.` },
    ],
    max_tokens: 64,
    temperature: 0,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** A keep-alive pool to one target; `connections` bounds concurrency. Close it after use. */
export function createPool(target: Target, connections: number): Pool {
  return new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 });
}

// The first non-empty content delta. Proxies may merge deltas (the gateway's PII restorer does when upstream
// events arrive in one read), so match any non-empty content, not the first token's text.
const FIRST_CONTENT = /"content":\s*"[^"]/;

/** Sends one request; resolves with [latency, ttfc, cache hit] (ms from `t0`), or throws with a reason. */
async function once(pool: Pool, target: Target, stream: boolean, t0: number): Promise<[number, number, boolean]> {
  const { statusCode, headers, body } = await pool.request({
    method: 'POST',
    path: target.path,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: requestBody(stream),
  });
  let ttfc = NaN;
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString();
    if (stream && Number.isNaN(ttfc) && FIRST_CONTENT.test(text)) ttfc = performance.now() - t0;
  }
  const latency = performance.now() - t0;
  if (statusCode !== 200) throw new Error(`HTTP ${statusCode}: ${text.slice(0, 200)}`);
  if (stream && !text.includes('[DONE]')) throw new Error(`stream without [DONE]: ${text.slice(-200)}`);
  if (!stream && !text.includes('forty-two')) throw new Error(`unexpected body: ${text.slice(0, 200)}`);
  return [latency, ttfc, headers['x-gateway-cache'] === 'hit'];
}

function collector(stream: boolean) {
  const latency: number[] = [];
  const ttfc: number[] = [];
  const r = { ok: 0, errors: 0, cacheHits: 0, firstError: undefined as string | undefined };
  return {
    r,
    record: (p: Promise<[number, number, boolean]>) =>
      p.then(
        ([l, t, hit]) => {
          r.ok++;
          if (hit) r.cacheHits++;
          latency.push(l);
          if (stream) ttfc.push(t);
        },
        (e: Error) => {
          r.errors++;
          r.firstError ??= e.message;
        },
      ),
    result: (sent: number, elapsedMs: number, cpu: NodeJS.CpuUsage): PhaseResult => ({
      sent,
      ...r,
      latency: Float64Array.from(latency),
      ttfc: Float64Array.from(ttfc),
      elapsedMs,
      generatorCpuMs: (cpu.user + cpu.system) / 1000,
    }),
  };
}

/** Open loop: `rate` requests/s for `durationMs` on `pool`, latency from each request's scheduled time. */
export async function openLoop(pool: Pool, target: Target, opts: { rate: number; durationMs: number; stream: boolean }): Promise<PhaseResult> {
  const total = Math.max(1, Math.round((opts.rate * opts.durationMs) / 1000));
  const interval = 1000 / opts.rate;
  const c = collector(opts.stream);
  const inflight: Promise<void>[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now() + 2;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; i < total && start + i * interval <= now; i++) inflight.push(c.record(once(pool, target, opts.stream, start + i * interval)));
      if (i >= total) return resolve();
      // Node timers have 1 ms granularity; late ticks send the overdue requests at once and are charged for it.
      setTimeout(tick, Math.max(0, start + i * interval - performance.now() - 0.5));
    };
    tick();
  });
  await Promise.all(inflight);
  return c.result(total, performance.now() - start, process.cpuUsage(cpu0));
}

/** Closed loop: `connections` concurrent senders for `durationMs`; throughput = ok / elapsed. */
export async function closedLoop(target: Target, opts: { connections: number; durationMs: number; stream: boolean }): Promise<PhaseResult> {
  const pool = createPool(target, opts.connections);
  const c = collector(opts.stream);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + opts.durationMs;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      sent++;
      const t0 = performance.now();
      await c.record(once(pool, target, opts.stream, t0));
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  const result = c.result(sent, performance.now() - start, process.cpuUsage(cpu0));
  await pool.close();
  return result;
}
