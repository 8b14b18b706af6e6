/**
 * The one HTTP transport every adapter shares: an undici Pool per provider origin with keep-alive.
 *
 * Decision (measured by `npx tsx bench/adapters.ts`): the official `openai` client sends through `fetch` and
 * cost 5.1× the CPU per non-streaming call (923 vs 181 µs) and 2.4× per stream of this transport, at a fifth of
 * the throughput; we keep the SDKs' wire *types* and do the transport ourselves. This also gives us the four timeouts routing needs (connect, first byte, idle, total),
 * which the SDKs collapse into one.
 *
 * Connections: no cap by default (undici opens one HTTP/1.1 connection per concurrent request and keeps them
 * alive), so thousands of concurrent streams all start at once. With `maxConnections` set, the wait for a free
 * connection is bounded and visible (`connection-gate.ts`). HTTP/2 (undici `allowH2`) is not used: undici's H2
 * client is still marked experimental, providers cap concurrent streams per H2 connection (commonly 100-250),
 * and a single TCP connection carrying every stream puts them all behind one congestion window and one loss.
 *
 * First byte: undici's `headersTimeout` runs on its coarse timer wheel (~0.5 s ticks for delays of 1 s or more:
 * a 1.5 s timeout fired after up to 2.5 s), so the first-byte deadline is our own `setTimeout` instead.
 */
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { Abort, type AbortSignalLike } from './abort.js';
import { createConnectionGate, type ConnectionStats } from './connection-gate.js';
import { ProviderError, type AttemptTrace, type ProviderConfig } from './types.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** Stops the total-time timer; call when the body is fully consumed or abandoned. */
  done(): void;
  /**
   * Ends a streamed body read with `readSse`: after a complete answer the rest of the body (normally just the end
   * of the chunked encoding; at most 64 KiB within 1 s) is read in the background so the connection goes back to
   * the pool; otherwise the body is destroyed, which closes the connection.
   */
  release(complete: boolean): void;
  /** True once the total-time timer fired (the body then fails with an abort). */
  timedOut(): boolean;
}

/** Sends requests to one provider. Lives as long as the adapter; `close()` ends pooled connections. */
export interface Transport {
  post(path: string, body: string, headers: Record<string, string>, signal: AbortSignalLike, trace?: AttemptTrace): Promise<UpstreamResponse>;
  connections(): ConnectionStats;
  close(): Promise<void>;
}

/**
 * What may follow a complete streamed answer before its body ends, and for how long. More means the upstream
 * misbehaves: the body is then destroyed, and its connection closed rather than held out of the pool.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1000;
/** Default bound on the wait for a connection under `maxConnections`. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 2000;

export function createTransport(config: ProviderConfig): Transport {
  const base = new URL(config.baseUrl);
  const { connectMs, firstByteMs, idleMs, totalMs } = config.timeouts;
  const limit = config.maxConnections;
  const pool = new Pool(base.origin, {
    connections: limit ?? null,
    connect: { timeout: connectMs },
    // Off: the precise first-byte timer below aborts instead (see the header comment).
    headersTimeout: 0,
    bodyTimeout: idleMs,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const gate = limit === undefined ? undefined : createConnectionGate(config.name, limit, config.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS);
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  // Azure-style base URLs carry the API version as a query (`…/deployments/x?api-version=…`): every request keeps it.
  const query = base.search;

  async function post(path: string, body: string, headers: Record<string, string>, signal: AbortSignalLike, trace?: AttemptTrace): Promise<UpstreamResponse> {
    if (gate) {
      const waited = gate.acquire(signal);
      // Only a request that really waited has a queue time (the log line and server-timing show it).
      if (typeof waited !== 'number') {
        try {
          const ms = await waited;
          if (trace) trace.queueMs = ms;
        } catch (err) {
          if (trace && err instanceof ProviderError) trace.queueMs = err.opts.queueMs;
          throw err;
        }
      }
    }
    // The slot is held until the body closes (read to its end, drained or destroyed): then undici has the
    // connection back too. Idempotent, since both an error path and the body's close may call it.
    let slotHeld = gate !== undefined;
    const freeSlot = () => {
      if (slotHeld) {
        slotHeld = false;
        gate!.release();
      }
    };
    // One abort joins the caller's signal (client abort, router deadline), the first-byte and the total timeout.
    const ctl = new Abort();
    let timedOut = false;
    let noFirstByte = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, totalMs);
    const firstByteTimer = setTimeout(() => {
      noFirstByte = true;
      ctl.abort();
    }, firstByteMs);
    const onAbort = () => ctl.abort();
    if (signal.aborted) ctl.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    try {
      const res = await pool.request({
        method: 'POST',
        path: basePath + path + query,
        body,
        // The attempt's request id and trace context go first: a provider's configured headers may override them.
        headers: { 'content-type': 'application/json', accept: 'application/json', ...trace?.headers, ...config.headers, ...headers },
        signal: ctl,
      });
      clearTimeout(firstByteTimer);
      if (gate) res.body.once('close', freeSlot);
      const release = (complete: boolean) => {
        done();
        if (complete) res.body.dump({ limit: DRAIN_LIMIT_BYTES, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) }).catch(() => undefined);
        // Destroying a body that has not ended emits an abort error; with no reader left, unheard it would be
        // an uncaught exception.
        else res.body.on('error', () => undefined).destroy();
      };
      return { status: res.statusCode, headers: res.headers, body: res.body, done, release, timedOut: () => timedOut };
    } catch (err) {
      clearTimeout(firstByteTimer);
      done();
      freeSlot();
      throw toProviderError(err, { timedOut, noFirstByte, clientAborted: signal.aborted, provider: config.name });
    }
  }

  return {
    post,
    connections() {
      if (gate) return gate.stats();
      const { running, queued } = pool.stats;
      return { limit: undefined, active: running, waiting: queued };
    },
    close: () => pool.close(),
  };
}

/** Maps transport failures (undici errors, aborts) to the provider error classes routing understands. */
export function toProviderError(
  err: unknown,
  ctx: { timedOut?: boolean; noFirstByte?: boolean; clientAborted?: boolean; provider?: string },
): ProviderError {
  if (err instanceof ProviderError) return err;
  const provider = ctx.provider;
  if (ctx.clientAborted) return new ProviderError('aborted', 'request aborted by client', { provider });
  if (ctx.timedOut) return new ProviderError('timeout', 'upstream did not finish in time', { provider });
  if (ctx.noFirstByte) return new ProviderError('timeout', 'upstream sent no response in time', { provider });
  if (err instanceof undiciErrors.ConnectTimeoutError)
    return new ProviderError('timeout', 'upstream connect timed out', { provider });
  if (err instanceof undiciErrors.HeadersTimeoutError)
    return new ProviderError('timeout', 'upstream sent no response in time', { provider });
  if (err instanceof undiciErrors.BodyTimeoutError)
    return new ProviderError('timeout', 'upstream stalled while sending the response', { provider });
  if (err instanceof undiciErrors.RequestAbortedError || (err as Error)?.name === 'AbortError')
    return new ProviderError('timeout', 'upstream attempt aborted', { provider });
  return new ProviderError('network', 'could not reach the upstream provider', { provider });
}

/** Reads a whole body as text, mapping mid-body failures to ProviderError. */
export async function readBody(res: UpstreamResponse, signal: AbortSignalLike, provider: string): Promise<string> {
  try {
    return await res.body.text();
  } catch (err) {
    throw toProviderError(err, { timedOut: res.timedOut(), clientAborted: signal.aborted, provider });
  } finally {
    res.done();
  }
}

/** Parses `retry-after` (seconds or HTTP date) and `retry-after-ms` into milliseconds. */
export function retryAfterMs(headers: UpstreamResponse['headers']): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers['retry-after'];
  if (typeof ra !== 'string') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}
