/**
 * Scoring with a decoded model: hashed features + signals → logistic probability.
 */
import { dotFeatures, normalizeText } from './features.js';
import type { InjectionModel } from './model-format.js';
import { SIGNALS, decodeBase64Runs, decodeTagCharacters, detectSignals } from './signals.js';
import { decodeHidden } from './decoders.js';
import { CONCEPT_NAMES, conceptFeatures } from './concepts.js';

/** Result of scoring one text. */
export interface InjectionScore {
  /** Probability-like score in [0, 1]; compare against the threshold. */
  score: number;
  /** Names of the structural signals that fired (explanations for logs; never the matched text). */
  signals: string[];
}

/**
 * Scores texts for prompt injection. Synchronous and pure (same text → same result); safe to share across
 * requests because scoring never awaits. Never throws on any string input.
 */
export interface InjectionDetector {
  score(text: string): InjectionScore;
}

// Texts longer than this are scored window by window (max over windows), so an injection buried in a long
// pasted document is not diluted by the L2 normalisation of the whole text.
const WINDOW = 2048;
const SHORT = 80;
const STRIDE = 1536;

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const PRIOR = new Map(SIGNALS.map((s) => [s.name, s.prior]));

export function createDetectorFromModel(model: InjectionModel): InjectionDetector {
  const textLogit = (norm: string): number => dotFeatures(norm, model.weights);
  const conceptWeights = Float64Array.from(CONCEPT_NAMES, (n) => model.conceptWeights[n] ?? 0);
  const conceptLogit = (norm: string): number => {
    const f = conceptFeatures(norm);
    let z = 0;
    for (let k = 0; k < f.length; k++) z += f[k] * conceptWeights[k];
    return z;
  };

  /** Logit of one text (windowed when long) plus its own signals. */
  const logitOf = (raw: string, norm: string, signals: readonly string[]): number => {
    let z = model.bias;
    for (const s of signals) z += (model.signalWeights[s] ?? 0) + (PRIOR.get(s) ?? 0);
    // Concepts are counted over the whole text (a buried "ignore the above" counts in any window).
    z += conceptLogit(norm);
    // A few words give the n-grams little evidence, and the training sources are full of short attacks: without a
    // structural signal, the text's logit is shrunk for texts under SHORT characters ("Shorter, please." scored
    // 0.69 and was blocked). Short attacks that say what they are ("ignore previous instructions", "developer
    // mode") fire a signal and are not shrunk.
    if (norm.length < SHORT && signals.length === 0) return z + textLogit(norm) * Math.sqrt(norm.length / SHORT);
    if (norm.length <= WINDOW + (WINDOW - STRIDE)) return z + textLogit(norm);
    let best = -Infinity;
    for (let start = 0; start < norm.length; start += STRIDE) {
      best = Math.max(best, textLogit(norm.slice(start, start + WINDOW)));
      if (start + WINDOW >= norm.length) break;
    }
    return z + best;
  };

  return {
    score(text: string): InjectionScore {
      const raw = typeof text === 'string' ? text : String(text ?? '');
      const norm = normalizeText(raw);
      const signals = detectSignals(raw, norm);
      let z = logitOf(raw, norm, signals);
      // Text smuggled in tag characters, base64, Morse, character codes, escapes or a Caesar shift is scored on
      // its own too (the carrier's prior added): the classifier cannot read it in its encoded form.
      const decoded = decodeHidden(raw);
      if (signals.length > 0 || decoded.length > 0) {
        const hidden: [string, string][] = [];
        if (signals.includes('invisible_characters')) hidden.push([decodeTagCharacters(raw), 'invisible_characters']);
        if (signals.includes('base64_payload')) for (const t of decodeBase64Runs(raw)) hidden.push([t, 'base64_payload']);
        for (const t of decoded) hidden.push([t, 'encoded_text']);
        for (const [h, carrier] of hidden) {
          if (!h.trim()) continue;
          const hn = normalizeText(h);
          const hs = detectSignals(h, hn);
          z = Math.max(z, logitOf(h, hn, hs) + (PRIOR.get(carrier) ?? 0));
          for (const s of hs) if (!signals.includes(s)) signals.push(s);
        }
      }
      return { score: sigmoid(z), signals };
    },
  };
}
