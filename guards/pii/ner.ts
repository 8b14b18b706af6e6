// Optional NER recognizer for person names and street addresses, through transformers.js token classification.
// Off by default: it needs a model directory on disk and costs milliseconds per call, unlike the pattern detector.
import type { PiiCategory, PiiFinding } from './types.js';
import { DEFAULT_NER_LABELS, mergeNerTokens, type NerToken } from './ner-spans.js';

/** Options for createNerRecognizer. */
export interface NerRecognizerOptions {
  /** Directory holding a transformers.js token-classification model (config.json, tokenizer.json, onnx/). */
  modelPath: string;
  /** Entity tag → category; defaults cover CoNLL (PER) and PII-tuned label sets. */
  labels?: Readonly<Record<string, PiiCategory>>;
  /** Minimum mean token score of a span (default 0.6). */
  minScore?: number;
  /** Texts are split into windows of about this many characters so none is truncated by the model (default 1500). */
  windowChars?: number;
  /** Model weight precision, as transformers.js names it (default 'fp32'; 'q8' for quantised exports). */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
}

/**
 * Asynchronous recognizer: `detect` resolves to sorted, non-overlapping findings. The model loads on first use from
 * `modelPath` only (never from a hub); a missing or broken model rejects every call with the loading error, so the
 * caller can log once and continue with pattern detection only. One instance per process; safe to call concurrently.
 */
export interface NerRecognizer {
  detect(text: string): Promise<PiiFinding[]>;
}

type TokenClassifier = (text: string, opts?: { ignore_labels?: string[] }) => Promise<NerToken[]>;

/** Splits text into windows ending at whitespace, returning each window's offset. */
export function windows(text: string, size: number): { offset: number; text: string }[] {
  const out: { offset: number; text: string }[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const ws = text.lastIndexOf(' ', end);
      const nl = text.lastIndexOf('\n', end);
      const cut = Math.max(ws, nl);
      if (cut > start + size / 2) end = cut;
    }
    out.push({ offset: start, text: text.slice(start, end) });
    start = end;
  }
  return out;
}

export function createNerRecognizer(opts: NerRecognizerOptions): NerRecognizer {
  const labels = opts.labels ?? DEFAULT_NER_LABELS;
  const minScore = opts.minScore ?? 0.6;
  const windowChars = opts.windowChars ?? 1500;
  let loading: Promise<TokenClassifier> | undefined;

  function load(): Promise<TokenClassifier> {
    loading ??= (async () => {
      const { pipeline } = await import('@huggingface/transformers');
      // local_files_only pins loading to modelPath without flipping the library-wide env.allowRemoteModels switch,
      // which other features (the embedder) configure for themselves.
      const pipe = await pipeline('token-classification', opts.modelPath, {
        local_files_only: true,
        dtype: opts.dtype ?? 'fp32',
      });
      return pipe as unknown as TokenClassifier;
    })();
    return loading;
  }

  return {
    async detect(text: string): Promise<PiiFinding[]> {
      if (!text.trim()) return [];
      const classify = await load();
      const found: PiiFinding[] = [];
      for (const w of windows(text, windowChars)) {
        const tokens = await classify(w.text);
        for (const f of mergeNerTokens(w.text, tokens, labels, minScore)) {
          found.push({ category: f.category, start: f.start + w.offset, end: f.end + w.offset });
        }
      }
      return found;
    },
  };
}
