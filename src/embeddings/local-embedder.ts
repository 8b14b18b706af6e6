/**
 * Local embedder: transformers.js in a worker thread (see embed-worker.ts). Requests from concurrent callers
 * queue up while the worker is busy and go out together as one batch (up to `batchSize` texts), which is both
 * what keeps the event loop free and what makes a burst cheap: one ONNX run per batch instead of per text.
 * If the worker dies (a native crash in ONNX Runtime, an uncaught exception, out of memory), the calls it held
 * are rejected at once and a new worker is started with backoff; meanwhile `embed` rejects fast (callers treat
 * that as "no semantic answer"), so nothing hangs and the gateway does not need restarting.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Embedder, EmbedderLogger } from './embedder.js';
import type { WorkerInit, WorkerReply } from './embed-worker.js';

export interface LocalEmbedderOptions {
  /** Model id; a sub-directory of `modelDir`, or a hub repo. Default `Xenova/all-MiniLM-L6-v2`. */
  model?: string;
  /** Directory holding `<model>/{config.json,tokenizer*.json,onnx/*.onnx}` (transformers.js `localModelPath`). */
  modelDir?: string;
  /** Download from the model hub when the files are not in `modelDir` (default false: nothing downloads). */
  allowRemote?: boolean;
  /** Load `onnx/model_quantized.onnx` (q8) instead of `onnx/model.onnx` (default true). */
  quantized?: boolean;
  /** Max texts per ONNX run (default 32). */
  batchSize?: number;
  /** Where downloaded models are cached when `allowRemote` (default: transformers.js's own cache dir). */
  cacheDir?: string;
  /**
   * ONNX Runtime threads for inference (default: cores − 1, at least 1), so the event loop keeps a core even
   * during a burst of embeddings.
   */
  threads?: number;
  /** Give up loading after this long (default 120 s): a hub that never answers must not hang start-up. */
  loadTimeoutMs?: number;
  /** Delay before restarting a dead worker (default 500 ms), doubled per further crash up to 30 s. */
  restartDelayMs?: number;
}

/** A worker that stayed up this long counts as healthy: its next crash restarts after the shortest delay again. */
const HEALTHY_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Test seam: the current worker thread of a local embedder (null while restarting), so tests can kill it.
 * A WeakMap keeps it off the `Embedder` interface.
 */
export const workerOf = new WeakMap<Embedder, () => Worker | null>();

interface Job {
  texts: string[];
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
}

/**
 * The worker ships as `.js` in dist/ and as `.ts` under tsx/vitest. For the latter, a tiny eval'd bootstrap
 * registers tsx's loader inside the worker first (Node 20 does not apply `--import` from a worker's execArgv
 * to module loading), then imports the TypeScript source.
 */
function spawnWorker(init: WorkerInit): Worker {
  const js = new URL('./embed-worker.js', import.meta.url);
  // Inherit the parent's flags except --input-type, which Node rejects for a worker started from a file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: init, execArgv });
  const ts = new URL('./embed-worker.ts', import.meta.url).href;
  // The ESM build of `tsx/esm/api` (require.resolve would give the CJS one, whose register() fails here).
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

export async function createLocalEmbedder(opts: LocalEmbedderOptions = {}, logger?: EmbedderLogger): Promise<Embedder> {
  const init: WorkerInit = {
    model: opts.model ?? 'Xenova/all-MiniLM-L6-v2',
    modelDir: opts.modelDir,
    allowRemote: opts.allowRemote ?? false,
    quantized: opts.quantized ?? true,
    cacheDir: opts.cacheDir,
    threads: Math.max(1, opts.threads ?? availableParallelism() - 1),
  };
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const loadTimeoutMs = opts.loadTimeoutMs ?? 120_000;
  const id = `local:${init.model}:${init.quantized ? 'q8' : 'fp32'}`;

  let worker: Worker | null = null; // the current worker, loading or ready
  let ready = false;
  const queue: Job[] = [];
  let inFlight: { id: number; jobs: Job[] } | null = null;
  let nextId = 1;
  let closed = false;
  let crashes = 0; // consecutive crashes, for the backoff
  let upSince = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  /** Spawns a worker and resolves the dimension it produces once the model is loaded. */
  const start = () =>
    new Promise<number>((resolve, reject) => {
      const w = spawnWorker(init);
      worker = w;
      const timer = setTimeout(() => {
        void w.terminate();
        reject(new Error(`loading ${init.model} timed out after ${loadTimeoutMs} ms`));
      }, loadTimeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        w.off('message', onMessage).off('error', onError).off('exit', onExit);
        fn();
      };
      const onMessage = (m: WorkerReply) => {
        if (m.type === 'ready') done(() => (attach(w), resolve(m.dimension)));
        else if (m.type === 'fatal') done(() => (void w.terminate(), reject(new Error(`cannot load ${init.model}: ${m.message}`))));
      };
      const onError = (e: Error) => done(() => reject(e));
      const onExit = (code: number) => done(() => reject(new Error(`embedding worker exited (${code}) while loading`)));
      w.on('message', onMessage).on('error', onError).on('exit', onExit);
    });

  const failAll = (err: Error) => {
    const jobs = [...(inFlight?.jobs ?? []), ...queue.splice(0)];
    inFlight = null;
    for (const j of jobs) j.reject(err);
  };

  const pump = () => {
    const w = ready ? worker : null;
    if (!w || inFlight || queue.length === 0) {
      if (w && !inFlight) w.unref(); // an idle embedder must not keep the process alive
      return;
    }
    const jobs: Job[] = [];
    let count = 0;
    while (queue.length && (jobs.length === 0 || count + queue[0]!.texts.length <= batchSize)) {
      const j = queue.shift()!;
      jobs.push(j);
      count += j.texts.length;
    }
    inFlight = { id: nextId++, jobs };
    w.ref();
    w.postMessage({ type: 'embed', id: inFlight.id, texts: jobs.flatMap((j) => j.texts) });
  };

  /** Wires a loaded worker in: its replies feed the callers, its death triggers a restart. */
  function attach(w: Worker): void {
    let crash: Error | undefined;
    w.on('message', (m: WorkerReply) => {
      if (w !== worker || (m.type !== 'result' && m.type !== 'error') || !inFlight || m.id !== inFlight.id) return;
      const { jobs } = inFlight;
      inFlight = null;
      if (m.type === 'error') for (const j of jobs) j.reject(new Error(`embedding failed: ${m.message}`));
      else {
        let row = 0;
        for (const j of jobs) {
          const out: Float32Array[] = [];
          for (let i = 0; i < j.texts.length; i++, row++) out.push(m.data.slice(row * m.dimension, (row + 1) * m.dimension));
          j.resolve(out);
        }
      }
      pump();
    });
    // An uncaught exception in the worker comes as 'error' and is always followed by 'exit'.
    w.on('error', (e) => (crash = e));
    w.on('exit', (code) => {
      if (w !== worker) return;
      worker = null;
      ready = false;
      if (closed) return;
      const reason = crash ? crash.message : `exit code ${code}`;
      failAll(new Error(`embedding worker died (${reason}); restarting`));
      if (Date.now() - upSince > HEALTHY_MS) crashes = 0;
      scheduleRestart(reason, 'embedding worker died; semantic features paused until it is restarted');
    });
    w.unref();
  }

  function scheduleRestart(reason: string, msg: string): void {
    const delay = Math.min(MAX_RESTART_DELAY_MS, (opts.restartDelayMs ?? 500) * 2 ** crashes++);
    // One line per crash (or failed restart), never one per rejected call; the backoff bounds the rate.
    logger?.warn({ embedder: id, reason, restartInMs: delay }, msg);
    restartTimer = setTimeout(() => void restart(), delay);
    restartTimer.unref();
  }

  async function restart(): Promise<void> {
    restartTimer = undefined;
    try {
      const dim = await start();
      if (closed) return void worker?.terminate();
      // Vectors already stored are only comparable with the same model: a changed model on disk stays down.
      if (dim !== dimension) throw new Error(`model now produces ${dim} dimensions instead of ${dimension}`);
      markUp();
      logger?.info?.({ embedder: id }, 'embedding worker restarted');
      pump();
    } catch (err) {
      worker = null;
      if (!closed) scheduleRestart((err as Error).message, 'embedding worker failed to restart');
    }
  }

  function markUp(): void {
    ready = true;
    upSince = Date.now();
  }
  const dimension = await start();
  markUp();

  const embedder: Embedder = {
    id,
    dimension,
    embed(texts: string[]): Promise<Float32Array[]> {
      if (closed) return Promise.reject(new Error('embedder is closed'));
      if (!ready) return Promise.reject(new Error('embedding worker is restarting after a crash'));
      if (texts.length === 0) return Promise.resolve([]);
      // The common case (one request, one text) allocates one promise and one job (the caller's array is used as
      // is): under a burst every pending call is live data the next scavenge copies, so per-call objects show up
      // as event-loop pauses.
      if (texts.length <= batchSize) {
        return new Promise((resolve, reject) => {
          queue.push({ texts, resolve, reject });
          pump();
        });
      }
      // Split large requests so one caller cannot monopolise a batch slot; the parts still run back to back.
      const parts: Promise<Float32Array[]>[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        parts.push(new Promise((resolve, reject) => queue.push({ texts: texts.slice(i, i + batchSize), resolve, reject })));
      }
      pump();
      return Promise.all(parts).then((p) => p.flat());
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearTimeout(restartTimer);
      failAll(new Error('embedder is closed'));
      await worker?.terminate();
    },
  };
  workerOf.set(embedder, () => (ready ? worker : null));
  return embedder;
}
