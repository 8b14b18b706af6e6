/**
 * Optional second check of a semantic cache candidate (issue 23.1): an NLI cross-encoder the operator provides
 * (`cache.verifierModelPath`: a transformers.js sequence-classification model directory with an "entailment"
 * label, e.g. a MiniLM or DeBERTa NLI cross-encoder exported to ONNX). It reads both prompts together, so it
 * catches what word-level rules cannot ("A man is walking up the aisle" / "… down the aisle" with other
 * wording). A candidate is served only when each prompt entails the other (a paraphrase, not a generalisation)
 * with at least `minScore` probability. Runs for candidates the in-process verifier passed or refused only for
 * their wording (negation, numbers, quantities and names stay its hard rules), on the event loop (a small
 * cross-encoder takes milliseconds); loaded from the path only, never downloaded. Fails
 * closed: a model that cannot be loaded or run refuses the candidate (a miss), with one warning per path.
 */
export interface NliVerifier {
  /** Whether `a` and `b` entail each other. Rejects when the model cannot be loaded or run. */
  paraphrase(a: string, b: string): Promise<boolean>;
}

interface Loaded {
  tokenizer: (a: string[], o: { text_pair: string[]; padding: boolean; truncation: boolean }) => Record<string, unknown>;
  model: (inputs: Record<string, unknown>) => Promise<{ logits: { data: Float32Array | number[]; dims: number[] } }>;
  entailment: number;
}

export function createNliVerifier(opts: { modelPath: string; minScore?: number }): NliVerifier {
  const minScore = opts.minScore ?? 0.5;
  let loading: Promise<Loaded> | undefined;

  function load(): Promise<Loaded> {
    loading ??= (async () => {
      const { AutoTokenizer, AutoModelForSequenceClassification } = await import('@huggingface/transformers');
      // local_files_only: the path and nothing else, whatever the embedder allows for itself.
      const tokenizer = await AutoTokenizer.from_pretrained(opts.modelPath, { local_files_only: true });
      const model = await AutoModelForSequenceClassification.from_pretrained(opts.modelPath, { local_files_only: true, dtype: 'fp32' });
      const id2label = ((model as unknown as { config: { id2label?: Record<string, string> } }).config.id2label ?? {}) as Record<string, string>;
      const entry = Object.entries(id2label).find(([, l]) => /entail/i.test(l));
      if (!entry) throw new Error(`${opts.modelPath} has no "entailment" label (labels: ${Object.values(id2label).join(', ') || 'none'})`);
      return { tokenizer: tokenizer as unknown as Loaded['tokenizer'], model: model as unknown as Loaded['model'], entailment: Number(entry[0]) };
    })();
    // A failed load is retried at the next candidate (the files may be put in place later).
    loading.catch(() => (loading = undefined));
    return loading;
  }

  return {
    async paraphrase(a, b) {
      const { tokenizer, model, entailment } = await load();
      // Both directions in one batch: premise a → hypothesis b, and b → a.
      const inputs = tokenizer([a, b], { text_pair: [b, a], padding: true, truncation: true });
      const { logits } = await model(inputs);
      const labels = logits.dims[1]!;
      for (let row = 0; row < 2; row++) {
        const l = Array.from(logits.data).slice(row * labels, (row + 1) * labels);
        const max = Math.max(...l);
        const exp = l.map((x) => Math.exp(x - max));
        const p = exp[entailment]! / exp.reduce((s, x) => s + x, 0);
        if (!(p >= minScore)) return false;
      }
      return true;
    },
  };
}
