/**
 * Worker thread that owns the transformers.js feature-extraction pipeline. Tokenisation, ONNX inference and
 * pooling all run here so the gateway's event loop never waits on them. Protocol (see local-embedder.ts):
 *   workerData: WorkerInit → posts { type: 'ready', dimension } or { type: 'fatal', message }
 *   { type: 'embed', id, texts } → { type: 'result', id, data: Float32Array (n × dimension, row-major) }
 *                                  or { type: 'error', id, message }
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

export interface WorkerInit {
  model: string;
  modelDir?: string;
  allowRemote: boolean;
  quantized: boolean;
  cacheDir?: string;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** Nice value for the worker thread (0 = same as the event loop, 19 = lowest). */
  niceness?: number;
}

export type WorkerRequest = { type: 'embed'; id: number; texts: string[] };
export type WorkerReply =
  | { type: 'ready'; dimension: number }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dimension: number }
  | { type: 'error'; id: number; message: string };

type Extractor = (
  texts: string[],
  opts: { pooling: 'mean'; normalize: boolean },
) => Promise<{ data: Float32Array; dims: number[] }>;

const port = parentPort;
if (!port) throw new Error('embed-worker must run in a worker thread');
const post = (msg: WorkerReply, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []);

async function load(init: WorkerInit): Promise<Extractor> {
  const { pipeline, env, LogLevel } = await import('@huggingface/transformers');
  // The library logs its own warnings to the console; the gateway reports one structured warning instead.
  env.logLevel = LogLevel.ERROR;
  env.allowLocalModels = true;
  env.allowRemoteModels = init.allowRemote;
  if (init.modelDir) env.localModelPath = init.modelDir.endsWith('/') ? init.modelDir : `${init.modelDir}/`;
  if (init.cacheDir) env.cacheDir = init.cacheDir;
  const pipe = await pipeline('feature-extraction', init.model, {
    dtype: init.quantized ? 'q8' : 'fp32',
    session_options: { intraOpNumThreads: init.threads, interOpNumThreads: 1 },
  });
  return pipe as unknown as Extractor;
}

async function main(): Promise<void> {
  // Inference runs on this thread (ONNX Runtime's run() is synchronous underneath). On Linux the nice value is
  // per thread, so this lowers only the worker: when cores are scarce the event loop thread wins the CPU and
  // keeps answering requests while embeddings wait. Best effort (not every platform allows it).
  try {
    setPriority(0, Math.min(19, Math.max(0, (workerData as WorkerInit).niceness ?? 10)));
  } catch {
    // not permitted here: run at normal priority
  }
  let extract: Extractor;
  let dimension: number;
  try {
    extract = await load(workerData as WorkerInit);
    // A probe tells the real output width (config.json hidden_size may not match a pooled/projected output).
    const probe = await extract(['probe'], { pooling: 'mean', normalize: true });
    dimension = probe.dims[probe.dims.length - 1] ?? 0;
    if (!dimension) throw new Error('model produced an empty embedding');
  } catch (err) {
    post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  post({ type: 'ready', dimension });
  port!.on('message', (msg: WorkerRequest) => {
    if (msg.type !== 'embed') return;
    extract(msg.texts, { pooling: 'mean', normalize: true }).then(
      (out) => {
        // Copy into a buffer we own so it can be transferred (the tensor may view a shared/pooled buffer).
        const data = new Float32Array(out.data);
        post({ type: 'result', id: msg.id, data, dimension }, [data.buffer as ArrayBuffer]);
      },
      (err: unknown) => post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

void main();
