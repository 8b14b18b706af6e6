/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL into the database file and fsyncs both; run by
 * the request-serving connection (SQLite's auto-checkpoint) it stalls every request behind a disk flush. Here a
 * worker thread with its own connection checkpoints every second (PASSIVE: never blocks readers or the writer),
 * and the main connection's auto-checkpoint is raised to a safety net only (if the worker died, the WAL still
 * cannot grow without bound).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

const SAFETY_NET_PAGES = 20_000; // ~80 MB of WAL

// Plain CommonJS evaluated in the worker, so it runs the same from src/ (tsx) and dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 5000 });
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  close(): Promise<void>;
}

export function startCheckpointer(db: Database, path: string, intervalMs = 1000): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, path, intervalMs } });
  worker.unref();
  worker.on('error', () => db.pragma('wal_autocheckpoint = 1000')); // back to SQLite's own checkpoints
  return {
    close: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.ref(); // keep the process alive until the final checkpoint is written
        worker.postMessage('stop');
      }),
  };
}
