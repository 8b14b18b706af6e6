/**
 * `--workers N`: N gateway processes sharing the listening ports (node:cluster; connections are handed out round
 * robin by the primary), so one machine's cores all serve. The primary serves nothing itself: it starts the
 * workers, passes SIGHUP (reload) and SIGTERM/SIGINT (graceful shutdown) on to them, and restarts a worker that
 * dies unexpectedly.
 *
 * Budgets stay exact because the workers share their state in Redis, as replicas do. With the embedded SQLite
 * store N must be 1: that store decides budgets and rate limits in its one owning process's memory (writing
 * behind), so a second process could not take part — it is refused with that reason.
 *
 * Start-up is serial: the first worker applies the config (and creates a first-run key once) before the others
 * start, so they never race to create it. With `server.metrics.port` set, worker i serves /metrics on that
 * port + i (each worker has its own counters; scrape all N); the API, admin and dashboard ports are shared.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';

export const WORKER_INDEX_ENV = 'GATEWAY_WORKER_INDEX';

/** Why `--workers N` cannot run with this config, or undefined. */
export function workersRefusal(config: GatewayConfig, n: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 256) return `--workers must be an integer from 1 to 256, got ${n}`;
  if (n > 1 && config.state.kind !== 'redis') {
    return '--workers N > 1 needs state.kind: redis — the SQLite store keeps budgets and rate limits exact by deciding them in one process, so other processes cannot share it; run one worker, or point the workers at Redis';
  }
  return undefined;
}

/** In a worker: its index (0-based), or undefined in a single-process gateway. */
export function workerIndex(): number | undefined {
  const v = process.env[WORKER_INDEX_ENV];
  return cluster.isWorker && v !== undefined ? Number(v) : undefined;
}

/** Worker-specific settings: its own metrics port. */
export function applyWorkerConfig(config: GatewayConfig, index: number | undefined): void {
  const m = config.server.metrics;
  if (index !== undefined && m.port !== undefined && m.port !== 0) m.port += index;
}

/** Runs the primary until every worker has exited after a shutdown signal; resolves to the exit code. */
export function runPrimary(n: number, logger: Logger): Promise<number> {
  const workers = new Map<number, Worker>();
  let stopping = false;
  let exitCode = 0;
  const restarts: number[] = [];

  const fork = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const w = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
      workers.set(index, w);
      // IPC to a worker that is exiting (EPIPE): its 'exit' handles it; unhandled, it would kill the primary.
      w.on('error', (err) => logger.warn({ worker: index, err: err.message }, 'worker channel error'));
      w.once('listening', () => resolve());
      w.once('exit', (code, signal) => {
        workers.delete(index);
        resolve(); // a worker that died before listening must not hang the start
        if (stopping) {
          if (code) exitCode = Math.max(exitCode, code);
          if (workers.size === 0) done(exitCode);
          return;
        }
        // Unexpected: restart it, unless workers keep dying (5 within a minute: a broken config or machine).
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
        if (restarts.length > 5) {
          logger.fatal({ worker: index, code, signal }, 'workers keep dying; stopping the gateway');
          exitCode = 1;
          stopAll('restart-loop');
          return;
        }
        logger.error({ worker: index, code, signal }, 'worker exited unexpectedly; starting a new one');
        void fork(index);
      });
    });

  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (done = r));

  const stopAll = (reason: string) => {
    if (stopping) return void logger.warn({ reason }, 'shutdown already in progress');
    stopping = true;
    logger.info({ signal: reason, workers: workers.size }, 'shutting down workers');
    if (workers.size === 0) done(exitCode);
    for (const w of workers.values()) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGHUP', () => {
    for (const w of workers.values()) w.process.kill('SIGHUP');
  });

  void (async () => {
    // The first worker bootstraps the store alone; the rest start together once it listens.
    await fork(0);
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => fork(i + 1)));
    if (!stopping) logger.info({ workers: n, pids: [...workers.values()].map((w) => w.process.pid) }, 'all workers listening');
  })();
  return finished;
}
