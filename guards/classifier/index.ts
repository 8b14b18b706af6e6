/**
 * `classifier` guard: a transformers.js text-classification model the operator provides (e.g. a prompt-injection
 * DeBERTa exported to ONNX), loaded from a local directory only — never downloaded. A text is a hit when the
 * probability of one of the configured labels reaches the threshold. Long texts are split into overlapping token
 * windows (a model reads at most its own maximum length; a tail past it would go unread) and the highest counts.
 */
import { GuardUnavailableError } from '../async-guard.js';

export interface ClassifierOptions {
  /** Directory with config.json, tokenizer files and onnx/model.onnx (fp32 weights). */
  modelPath: string;
}

/** The highest probability of any `labels` over every text and window, and which label it was. */
export interface ClassifierVerdict {
  score: number;
  label?: string;
}

/**
 * One model per directory and process; loads on first use. A model that cannot be loaded rejects with
 * GuardUnavailableError('model_unavailable') (retried at the next call: the files may be put in place later).
 */
export interface TextClassifier {
  /** Labels of the model (id2label), once loaded. */
  labels(): Promise<string[]>;
  /** `signal`: stop between windows once the caller's deadline has passed (a window already running finishes). */
  classify(texts: readonly string[], labels: readonly string[], signal?: AbortSignal): Promise<ClassifierVerdict>;
}

type Pipe = (texts: string[], opts: { top_k: null }) => Promise<{ label: string; score: number }[][]>;
interface Tokenizer {
  model_max_length: number;
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
}

export function createTextClassifier(opts: ClassifierOptions): TextClassifier {
  let loading: Promise<{ pipe: Pipe; tokenizer: Tokenizer; labels: string[]; maxTokens: number }> | undefined;

  function load() {
    loading ??= (async () => {
      const { pipeline } = await import('@huggingface/transformers');
      // local_files_only: the path and nothing else, whatever the embedder allows for itself.
      const pipe = await pipeline('text-classification', opts.modelPath, { local_files_only: true, dtype: 'fp32' });
      const p = pipe as unknown as { model: { config: { id2label?: Record<string, string>; max_position_embeddings?: number } }; tokenizer: Tokenizer };
      const id2label = p.model.config.id2label ?? {};
      // The model reads at most this many tokens; the tokenizer truncates the rest, so windows must fit it.
      const maxTokens = Math.min(p.tokenizer.model_max_length || 512, p.model.config.max_position_embeddings || 512, 512);
      return { pipe: pipe as unknown as Pipe, tokenizer: p.tokenizer, labels: Object.values(id2label), maxTokens };
    })();
    loading.catch(() => (loading = undefined));
    return loading.catch((err: Error) => {
      throw new GuardUnavailableError('model_unavailable', `classifier model ${opts.modelPath} could not be loaded: ${err.message}`);
    });
  }

  return {
    labels: async () => (await load()).labels,
    async classify(texts, labels, signal) {
      const model = await load();
      const wanted = new Set(labels.map((l) => l.toLowerCase()));
      // A label the model does not have would make the guard pass everything, silently: refuse to decide instead.
      if (!model.labels.some((l) => wanted.has(l.toLowerCase()))) {
        throw new GuardUnavailableError('label_not_in_model', `classifier model ${opts.modelPath} has none of the labels ${labels.join(', ')} (it has ${model.labels.join(', ')})`);
      }
      const chunks = texts.flatMap((t) => tokenWindows(model.tokenizer, t, model.maxTokens)).filter((t) => t.trim());
      if (!chunks.length) return { score: 0 };
      const best: ClassifierVerdict = { score: 0 };
      // One window at a time: a batch pads every window to the longest, and one call per window keeps the event
      // loop free between them.
      for (const chunk of chunks) {
        if (signal?.aborted) break;
        const [scores] = await model.pipe([chunk], { top_k: null });
        for (const s of scores ?? []) {
          if (wanted.has(s.label.toLowerCase()) && s.score > best.score) Object.assign(best, { score: s.score, label: s.label });
        }
      }
      return best;
    },
  };
}

/** Overlap of consecutive token windows, so a phrase cut by a window boundary is read whole by one of them. */
const OVERLAP_TOKENS = 32;

/**
 * A text longer than the model reads, as windows of at most `maxTokens` (two left for the special tokens),
 * decoded back to text: the tokenizer would otherwise truncate it, and an attack after the first few hundred
 * tokens would never be read. Most texts fit in one and are passed as they are.
 */
function tokenWindows(tokenizer: Tokenizer, text: string, maxTokens: number): string[] {
  const size = Math.max(1, maxTokens - 2);
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  if (ids.length <= size) return [text];
  // A model reading fewer tokens than twice the overlap overlaps by half a window (else windows would not advance).
  const step = Math.max(1, size - Math.min(OVERLAP_TOKENS, Math.floor(size / 2)));
  const out: string[] = [];
  for (let start = 0; start < ids.length; start += step) {
    out.push(tokenizer.decode(ids.slice(start, start + size), { skip_special_tokens: true }));
    if (start + size >= ids.length) break;
  }
  return out;
}
