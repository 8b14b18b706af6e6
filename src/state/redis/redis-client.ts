/**
 * Redis connection policy and error mapping. The store must fail fast, never hang, and heal by itself:
 * no offline queue (commands issued while disconnected fail at once), a short command timeout, at most one
 * retry per command, and endless background reconnection with a capped backoff.
 */
import { createHash } from 'node:crypto';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { StateUnavailableError } from '../errors.js';

export type RedisLike = Redis | Cluster;

export function connectionOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    enableAutoPipelining: true,
    // A command the caller was told failed (timed out, connection lost) must not run later behind its back: the
    // caller retries it itself (idempotently), or has already answered 503. ioredis would resend it on reconnect.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // Keep re-connecting after READONLY (failover) instead of failing forever.
    reconnectOnError: (err) => /READONLY/.test(err.message),
  };
}

/** Server replies that mean "not serving right now" rather than "this command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|MISCONF)/;

/** ioredis client-side failures: not connected, connection lost, timed out, cluster unreachable. */
const CONNECTION =
  /Stream isn't writeable|Connection is closed|Command timed out|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|None of startup nodes|Failed to refresh slots|Cluster isn't ready/i;
const CONNECTION_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
/** Of those, the ones where the command never left this process (no connection to send it on). */
const NOT_SENT = /Stream isn't writeable|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|None of startup nodes|Cluster isn't ready/i;

/** Maps backend failures to StateUnavailableError; everything else (bugs, invalid input) passes through. */
export function toStateError(e: unknown): unknown {
  if (e instanceof StateUnavailableError || !(e instanceof Error)) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const transient =
    e.name === 'ReplyError' ? TRANSIENT_REPLY.test(e.message) : CONNECTION_NAMES.has(e.name) || CONNECTION.test(e.message) || CONNECTION.test(code);
  if (!transient) return e;
  const unsent = e.name === 'ReplyError' || NOT_SENT.test(e.message) || NOT_SENT.test(code);
  return new StateUnavailableError(`redis unavailable: ${e.message}`, { cause: e, mayHaveApplied: !unsent });
}

/** Wraps an async function so that backend failures surface as StateUnavailableError. */
export function guarded<A extends unknown[], R>(fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return async (...a: A) => {
    try {
      return await fn(...a);
    } catch (e) {
      throw toStateError(e);
    }
  };
}

export interface Script {
  run(keys: string[], args: (string | number)[]): Promise<unknown>;
}

/** EVALSHA with a fallback to EVAL when the server lost its script cache (restart, failover). */
export function createScript(client: RedisLike, source: string): Script {
  const sha = createHash('sha1').update(source).digest('hex');
  const r = client as Redis;
  return {
    async run(keys, args) {
      try {
        return await r.evalsha(sha, keys.length, ...keys, ...args);
      } catch (e) {
        if ((e as Error).message?.startsWith('NOSCRIPT')) return r.eval(source, keys.length, ...keys, ...args);
        throw e;
      }
    },
  };
}

/** Resolves when the client is ready, or after `ms` (the store then fails fast until Redis is reachable). */
export function waitReady(client: RedisLike, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.on('ready', done);
  });
}

export { Redis };
