/**
 * Per-team calibration of the semantic layer (issue 23.2). A cosine threshold means different things for
 * different traffic, so a team's own shadow traffic decides: for every verified would-be hit the gateway still
 * calls the provider, compares the fresh answer with the one it would have served, and counts the outcome in the
 * hit's similarity band (StateStore `recordCalibration`). `semantic: on` then serves only in bands where at least
 * `minSamples` comparisons were made and at least `precision` of them agreed; every other band keeps comparing.
 * Bands are per embedder: similarities of different models do not compare, so a model change starts over.
 */
import type { EffectiveCache } from '../config/policy.js';
import type { ChatResponse } from '../core/types.js';
import type { CalibrationBand, StateStore } from '../state/state-store.js';
import { canonical } from './cache-key.js';
import { answerFeatures } from './verify-hit.js';

/** Lower edges of the similarity bands; below the first nothing is compared or served. */
export const BAND_EDGES = [0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99] as const;
export const CALIBRATION_FLOOR = BAND_EDGES[0];
/**
 * A candidate worded the same as the prompt (verify-hit's `sameWording`) has its own band, compared and served
 * from this similarity up, whatever `similarityThreshold` says: the verifier, which reads both prompts whole,
 * found the same words in the same roles, so the embedding only has to agree loosely. On SICK train every pair read
 * as worded the same is a paraphrase, at any similarity (286 of 286; USE lite scores some of them 0.6–0.7, passives
 * and "a wall made of bricks" / "a brick wall"); the floor keeps the candidates a lookup verifies few.
 */
export const SAME_WORDING_FLOOR = 0.6;
export const SAME_WORDING_BAND = 'same';

/**
 * `<embedder id>|<lower edge>` of the band `similarity` falls in (`<embedder id>|same` for a candidate worded the
 * same); undefined below the floor.
 */
export function bandOf(embedderId: string, similarity: number, sameWording = false): string | undefined {
  if (sameWording) return similarity >= SAME_WORDING_FLOOR ? `${embedderId}|${SAME_WORDING_BAND}` : undefined;
  let edge: number | undefined;
  for (const e of BAND_EDGES) if (similarity >= e) edge = e;
  return edge === undefined ? undefined : `${embedderId}|${edge.toFixed(3)}`;
}

/** Whether a band's counts allow serving under the policy. */
export function bandServes(counts: CalibrationBand | undefined, policy: EffectiveCache['calibration']): boolean {
  if (policy.minSamples === 0) return true;
  return !!counts && counts.samples >= policy.minSamples && counts.agreed / counts.samples >= policy.precision;
}

export interface Calibration {
  /** The team's counts in `band` (read through a short-lived per-team cache: one store read per team per 5 s). */
  counts(teamId: string, band: string): Promise<CalibrationBand | undefined>;
  /** `costMicros`: what the compared call cost (what serving would have saved). */
  record(teamId: string, band: string, agreed: boolean, costMicros?: number): Promise<void>;
}

export function createCalibration(store: StateStore, ttlMs = 5_000): Calibration {
  const cache = new Map<string, { at: number; bands: Promise<Map<string, CalibrationBand>> }>();
  return {
    async counts(teamId, band) {
      let entry = cache.get(teamId);
      if (!entry || Date.now() - entry.at > ttlMs) {
        if (cache.size > 10_000) cache.clear();
        const bands = store.getCalibration(teamId).then((rows) => new Map(rows.map((r) => [r.band, r])));
        entry = { at: Date.now(), bands };
        cache.set(teamId, entry);
        bands.catch(() => cache.delete(teamId));
      }
      return (await entry.bands).get(band);
    },
    async record(teamId, band, agreed, costMicros) {
      await store.recordCalibration(teamId, band, agreed, costMicros);
      // This process sees its own comparisons at once; other replicas' within the cache's lifetime.
      cache.delete(teamId);
    },
  };
}

/**
 * Whether the answer the cache would have served agrees with the provider's fresh one: the same tool calls
 * (names and arguments), and per choice either the same text (case, spacing and punctuation aside) or text with
 * the same numbers, negations and names and mostly the same content words (Jaccard ≥ 0.6 of the stems): two
 * samplings of one answer reword it, an answer to another question says other things.
 */
export function answersAgree(fresh: ChatResponse, cached: ChatResponse): boolean {
  if (fresh.choices.length !== cached.choices.length) return false;
  return fresh.choices.every((f, i) => {
    const c = cached.choices[i]!;
    const tools = (m: typeof f.message) => canonical((m.tool_calls ?? []).map((t) => (t.type === 'function' ? [t.function.name, safeJson(t.function.arguments)] : t)));
    if (tools(f.message) !== tools(c.message)) return false;
    return textsAgree(f.message.content ?? '', c.message.content ?? '');
  });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

const plain = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function textsAgree(a: string, b: string): boolean {
  if (plain(a) === plain(b)) return true;
  const x = answerFeatures(a);
  const y = answerFeatures(b);
  if (x.numbers !== y.numbers || x.negations !== y.negations || x.entities !== y.entities) return false;
  let shared = 0;
  for (const s of x.content) if (y.content.has(s)) shared++;
  const union = x.content.size + y.content.size - shared;
  return union === 0 || shared / union >= 0.6;
}
