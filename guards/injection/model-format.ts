/**
 * The shipped model file (`model.json`): hashed logistic-regression weights stored compactly.
 *
 * Only non-zero buckets are stored: bucket indices as base64 of delta-encoded LEB128 varints, weights as
 * base64 of int16 quantised against `scale` (weight = q * scale). This keeps the file a few hundred KB of
 * plain JSON (diffable metadata, no binary side files) while losing < 0.01% of a logit.
 */

export const MODEL_FORMAT = 'injection-lr/2';

/** Everything needed to score, after decoding. */
export interface InjectionModel {
  hashBits: number;
  bias: number;
  /** Dense bucket weights, length 2^hashBits. */
  weights: Float32Array;
  /** Learned weight per structural signal name. */
  signalWeights: Record<string, number>;
  /** Learned weight per concept feature (`concepts.ts`, CONCEPT_NAMES). */
  conceptWeights: Record<string, number>;
  /** Decision threshold on the probability, chosen by cross-validation. */
  threshold: number;
  /** Free-form training provenance (data hash, hyper-parameters, CV figures). */
  meta: Record<string, unknown>;
}

/** The JSON document on disk. */
export interface InjectionModelFile {
  format: typeof MODEL_FORMAT;
  hashBits: number;
  bias: number;
  threshold: number;
  signalWeights: Record<string, number>;
  conceptWeights: Record<string, number>;
  buckets: { count: number; indexDeltas: string; values: string; scale: number };
  meta: Record<string, unknown>;
}

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Serialises a model; deterministic (same model → byte-identical JSON). */
export function encodeModel(m: InjectionModel): InjectionModelFile {
  let maxAbs = 0;
  for (const w of m.weights) if (Math.abs(w) > maxAbs) maxAbs = Math.abs(w);
  const scale = maxAbs > 0 ? maxAbs / 32767 : 1;
  // Buckets whose weight quantises to 0 are left out: they would decode to 0 anyway.
  const idx: number[] = [];
  for (let i = 0; i < m.weights.length; i++) if (Math.round(m.weights[i] / scale) !== 0) idx.push(i);
  const deltas: number[] = [];
  const q = Buffer.alloc(idx.length * 2);
  let prev = 0;
  idx.forEach((b, k) => {
    writeVarint(deltas, b - prev);
    prev = b;
    q.writeInt16LE(Math.round(m.weights[b] / scale), k * 2);
  });
  const signalWeights: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.signalWeights)) signalWeights[k] = round6(v);
  const conceptWeights: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.conceptWeights)) conceptWeights[k] = round6(v);
  return {
    format: MODEL_FORMAT,
    hashBits: m.hashBits,
    bias: round6(m.bias),
    threshold: m.threshold,
    signalWeights,
    conceptWeights,
    buckets: {
      count: idx.length,
      indexDeltas: Buffer.from(deltas).toString('base64'),
      values: q.toString('base64'),
      scale,
    },
    meta: m.meta,
  };
}

/** Parses and validates a model document. Throws an Error saying what is wrong with it. */
export function decodeModel(doc: unknown): InjectionModel {
  const f = doc as Partial<InjectionModelFile>;
  if (!f || f.format !== MODEL_FORMAT) throw new Error(`injection model: expected format "${MODEL_FORMAT}"`);
  if (!Number.isInteger(f.hashBits) || f.hashBits! < 8 || f.hashBits! > 24) throw new Error('injection model: bad hashBits');
  if (typeof f.bias !== 'number' || typeof f.threshold !== 'number' || !f.buckets || !f.signalWeights || !f.conceptWeights) {
    throw new Error('injection model: missing bias, threshold, buckets, signalWeights or conceptWeights');
  }
  const dim = 1 << f.hashBits!;
  const weights = new Float32Array(dim);
  const deltas = Buffer.from(f.buckets.indexDeltas, 'base64');
  const qb = Buffer.from(f.buckets.values, 'base64');
  if (qb.length !== f.buckets.count * 2) throw new Error('injection model: bucket values truncated');
  const q = new Int16Array(f.buckets.count);
  for (let k = 0; k < q.length; k++) q[k] = qb.readInt16LE(k * 2);
  let pos = 0;
  let b = 0;
  for (let k = 0; k < f.buckets.count; k++) {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= deltas.length) throw new Error('injection model: bucket indices truncated');
      const byte = deltas[pos++];
      v += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    b += v;
    if (b >= dim) throw new Error('injection model: bucket index out of range');
    weights[b] = q[k] * f.buckets.scale;
  }
  return {
    hashBits: f.hashBits!,
    bias: f.bias,
    weights,
    signalWeights: { ...f.signalWeights },
    conceptWeights: { ...f.conceptWeights },
    threshold: f.threshold,
    meta: f.meta ?? {},
  };
}
