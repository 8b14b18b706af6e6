/**
 * Local embedder: transformers.js in a worker thread (see embed-worker.ts). Requests from concurrent callers
 * queue up while the worker is busy and go out together as one batch (up to `batchSize` texts), which is both
 * what keeps the event loop free and what makes a burst cheap: one ONNX run per batch instead of per text.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Embedder } from './embedder.js';
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
}

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

export async function createLocalEmbedder(opts: LocalEmbedderOptions = {}): Promise<Embedder> {
  const init: WorkerInit = {
    model: opts.model ?? 'Xenova/all-MiniLM-L6-v2',
    modelDir: opts.modelDir,
    allowRemote: opts.allowRemote ?? false,
    quantized: opts.quantized ?? true,
    cacheDir: opts.cacheDir,
    threads: Math.max(1, opts.threads ?? availableParallelism() - 1),
  };
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const worker = spawnWorker(init);

  const dimension = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`loading ${init.model} timed out after ${opts.loadTimeoutMs ?? 120_000} ms`));
    }, opts.loadTimeoutMs ?? 120_000);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      fn();
    };
    const onMessage = (m: WorkerReply) => {
      if (m.type === 'ready') done(() => resolve(m.dimension));
      else if (m.type === 'fatal') done(() => (void worker.terminate(), reject(new Error(`cannot load ${init.model}: ${m.message}`))));
    };
    const onError = (e: Error) => done(() => reject(e));
    const onExit = (code: number) => done(() => reject(new Error(`embedding worker exited (${code}) while loading`)));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });

  const queue: Job[] = [];
  let inFlight: { id: number; jobs: Job[] } | null = null;
  let nextId = 1;
  let closed = false;
  let broken: Error | null = null;

  const failAll = (err: Error) => {
    const jobs = [...(inFlight?.jobs ?? []), ...queue.splice(0)];
    inFlight = null;
    for (const j of jobs) j.reject(err);
  };

  const pump = () => {
    if (inFlight || queue.length === 0 || broken) {
      if (!inFlight && queue.length === 0) worker.unref(); // an idle embedder must not keep the process alive
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
    worker.ref();
    worker.postMessage({ type: 'embed', id: inFlight.id, texts: jobs.flatMap((j) => j.texts) });
  };

  worker.on('message', (m: WorkerReply) => {
    if ((m.type !== 'result' && m.type !== 'error') || !inFlight || m.id !== inFlight.id) return;
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
  worker.on('error', (e) => {
    broken = e;
    failAll(new Error(`embedding worker crashed: ${e.message}`));
  });
  worker.on('exit', (code) => {
    if (!closed) {
      broken = new Error(`embedding worker exited (${code})`);
      failAll(broken);
    }
  });
  worker.unref();

  const id = `local:${init.model}:${init.quantized ? 'q8' : 'fp32'}`;
  return {
    id,
    dimension,
    embed(texts: string[]): Promise<Float32Array[]> {
      if (closed) return Promise.reject(new Error('embedder is closed'));
      if (broken) return Promise.reject(broken);
      if (texts.length === 0) return Promise.resolve([]);
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
      failAll(new Error('embedder is closed'));
      await worker.terminate();
    },
  };
}
