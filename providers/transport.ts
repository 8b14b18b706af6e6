/**
 * The one HTTP transport every adapter shares: an undici Pool per provider origin with keep-alive.
 *
 * Decision (measured by `npx tsx bench/adapters.ts`): the official `openai` client sends through `fetch` and
 * cost 5.1× the CPU per non-streaming call (923 vs 181 µs) and 2.4× per stream of this transport, at a fifth of
 * the throughput; we keep the SDKs' wire *types* and do the transport ourselves. This also gives us the four timeouts routing needs (connect, first byte, idle, total),
 * which the SDKs collapse into one.
 */
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { Abort, type AbortSignalLike } from './abort.js';
import { ProviderError, type ProviderConfig } from './types.js';

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
  post(path: string, body: string, headers: Record<string, string>, signal: AbortSignalLike): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * What may follow a complete streamed answer before its body ends, and for how long. More means the upstream
 * misbehaves: the body is then destroyed, and its connection closed rather than held out of the pool.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1000;

export function createTransport(config: ProviderConfig): Transport {
  const base = new URL(config.baseUrl);
  const { connectMs, firstByteMs, idleMs, totalMs } = config.timeouts;
  const pool = new Pool(base.origin, {
    connections: config.maxConnections,
    connect: { timeout: connectMs },
    headersTimeout: firstByteMs,
    bodyTimeout: idleMs,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  });
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  // Azure-style base URLs carry the API version as a query (`…/deployments/x?api-version=…`): every request keeps it.
  const query = base.search;

  return {
    async post(path, body, headers, signal) {
      // One abort joins the caller's signal (client abort, router deadline) and the total timeout.
      const ctl = new Abort();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, totalMs);
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
          headers: { 'content-type': 'application/json', accept: 'application/json', ...config.headers, ...headers },
          signal: ctl,
        });
        const release = (complete: boolean) => {
          done();
          if (complete) res.body.dump({ limit: DRAIN_LIMIT_BYTES, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) }).catch(() => undefined);
          // Destroying a body that has not ended emits an abort error; with no reader left, unheard it would be
          // an uncaught exception.
          else res.body.on('error', () => undefined).destroy();
        };
        return { status: res.statusCode, headers: res.headers, body: res.body, done, release, timedOut: () => timedOut };
      } catch (err) {
        done();
        throw toProviderError(err, { timedOut, clientAborted: signal.aborted, provider: config.name });
      }
    },
    close: () => pool.close(),
  };
}

/** Maps transport failures (undici errors, aborts) to the provider error classes routing understands. */
export function toProviderError(
  err: unknown,
  ctx: { timedOut?: boolean; clientAborted?: boolean; provider?: string },
): ProviderError {
  if (err instanceof ProviderError) return err;
  const provider = ctx.provider;
  if (ctx.clientAborted) return new ProviderError('aborted', 'request aborted by client', { provider });
  if (ctx.timedOut) return new ProviderError('timeout', 'upstream did not finish in time', { provider });
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
