/**
 * Stage 5: the response cache. An exact layer (StateStore, hash of the canonical request) answers repeats; a
 * semantic layer (the last user turn embedded segment by segment, nearest neighbour inside the request's
 * namespace) answers paraphrases. Shadow mode (the whole cache, or `semantic: shadow`) computes would-be hits
 * and logs them without serving them.
 */
import type { EffectiveCache } from '../config/policy.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import type { Embedder } from '../embeddings/embedder.js';
import type { StateStore } from '../state/state-store.js';
import type { VectorStore } from '../vector/vector-store.js';
import { cacheKey, type CacheKey } from './cache-key.js';
import { embedPrompt, packVectors, promptSimilarity, type PromptVectors } from './semantic-match.js';
import { rememberPrompt, verifyHit, type RejectReason, type Verdict } from './verify-hit.js';
import { createNliVerifier, type NliVerifier } from './nli-verifier.js';
import { answersAgree, bandOf, bandServes, CALIBRATION_FLOOR, createCalibration, SAME_WORDING_FLOOR, type Calibration } from './calibration.js';

/** What the semantic layer found for a miss, kept for the write (and, in shadow, for the comparison). */
export interface SemanticLookup {
  /** Vector-store namespace: embedder, cache namespace and segment count. */
  ns: string;
  prompt: PromptVectors;
  embedderId: string;
}

/** What serving would have done, for the request's log line. */
export interface ShadowNote {
  layer: 'exact' | 'semantic';
  similarity?: number;
  /** Semantic: why verification refused the nearest entry (it would not have been served). */
  rejected?: RejectReason;
  /** Semantic, `semantic: on`: the hit's band is not calibrated yet for the team, so it was compared instead. */
  uncalibrated?: true;
}

/** A verified would-be hit to compare with the provider's fresh answer (shadow, or a band not yet calibrated). */
export interface PendingComparison {
  team: string;
  band: string;
  /** Exact key of the entry that would have been served. */
  key: string;
  similarity: number;
}

/** One comparison made: what the metrics count per team. */
export interface ComparisonOutcome {
  team: string;
  band: string;
  agreed: boolean;
}

export type CacheResult =
  | { status: 'bypass'; reason: string; key?: CacheKey; write: boolean }
  | { status: 'hit'; response: ChatResponse; layer: 'exact' | 'semantic'; similarity?: number; sameWording?: true }
  | { status: 'miss'; key: CacheKey; semantic?: SemanticLookup; shadow?: ShadowNote; compare?: PendingComparison };

/** Lives as long as the runtime. Never throws: a cache failure is a miss (logged by the caller's log line). */
export interface ResponseCache {
  /** `team` (the requesting team's id) is whose calibration decides and records; without it nothing is compared. */
  lookup(req: ChatRequest, policy: EffectiveCache, scope: string, model: string, headers: Record<string, string | string[] | undefined>, team?: string): Promise<CacheResult>;
  /**
   * Stores an answer after a miss (or a `no-cache` bypass) when it is cacheable; after a miss with a pending
   * comparison, first compares it with the answer the cache would have served and records the outcome, with
   * `costMicros` (what this answer cost: what serving the would-be hit would have saved).
   */
  write(result: CacheResult, response: ChatResponse, policy: EffectiveCache, costMicros?: number): Promise<ComparisonOutcome | undefined>;
}

export interface ResponseCacheDeps {
  store: StateStore;
  vectors?: VectorStore;
  /** The embedder once it is ready; null while loading or when none is reachable (semantic layer off). */
  embedder: () => Embedder | null;
  /** Per-team calibration counts; default: over `store`. */
  calibration?: Calibration;
  /** Where an NLI verifier that cannot be loaded or run is reported (once per model path). */
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
}

const ENTRY = 'cache:';
/** Nearest entries checked per lookup: the nearest may fail verification where the next one passes. */
const CANDIDATES = 3;

export function createResponseCache(deps: ResponseCacheDeps): ResponseCache {
  const calibration = deps.calibration ?? createCalibration(deps.store);
  const nliVerifiers = new Map<string, NliVerifier>();
  const nliWarned = new Set<string>();

  /** The operator's NLI model's verdict on a candidate the in-process verifier passed; fails closed. */
  async function nliAgrees(modelPath: string, query: string, stored: string): Promise<boolean> {
    let v = nliVerifiers.get(modelPath);
    if (!v) nliVerifiers.set(modelPath, (v = createNliVerifier({ modelPath })));
    try {
      return await v.paraphrase(query, stored);
    } catch (err) {
      if (!nliWarned.has(modelPath)) {
        nliWarned.add(modelPath);
        deps.logger?.warn({ modelPath, err: (err as Error).message }, 'semantic cache NLI verifier unavailable: semantic candidates are refused until it loads');
      }
      return false;
    }
  }
  async function semanticLookup(key: CacheKey): Promise<SemanticLookup | undefined> {
    const embedder = deps.embedder();
    if (!embedder || !deps.vectors || !key.queryText) return undefined;
    const prompt = await embedPrompt(embedder, key.queryText);
    if (!prompt) return undefined;
    return { ns: `${embedder.id}|${key.namespace}|${prompt.vectors.length}`, prompt, embedderId: embedder.id };
  }

  return {
    async lookup(req, policy, scope, model, headers, team) {
      const cc = String(headers['cache-control'] ?? '').toLowerCase();
      const key = cacheKey(req, scope, model);
      if (/\bno-store\b/.test(cc)) return { status: 'bypass', reason: 'no-store', write: false };
      const temperature = typeof req.body.temperature === 'number' ? req.body.temperature : 1;
      if (temperature > policy.maxTemperature) return { status: 'bypass', reason: 'temperature', write: false };
      // Log probabilities describe one sampling, and the stream replay of a stored answer has none to give.
      if (req.body.logprobs === true) return { status: 'bypass', reason: 'logprobs', write: false };
      if (/\bno-cache\b/.test(cc)) return { status: 'bypass', reason: 'no-cache', key, write: true };

      const shadow = policy.mode === 'shadow';
      const exact = await deps.store.cacheGet(ENTRY + key.exact);
      if (exact) {
        if (!shadow) return { status: 'hit', response: JSON.parse(exact), layer: 'exact', similarity: 1 };
        return { status: 'miss', key, shadow: { layer: 'exact', similarity: 1 } };
      }
      if (policy.semantic === 'off') return { status: 'miss', key };
      const serve = !shadow && policy.semantic === 'on';
      let semantic: SemanticLookup | undefined;
      // The verified entry to serve — one worded the same first, else the most similar — else the most similar
      // one with the reason it was refused.
      let best: { key: string; similarity: number; sameWording: boolean } | undefined;
      let rejected: { similarity: number; reason: RejectReason } | undefined;
      try {
        semantic = await semanticLookup(key);
        if (!semantic) return { status: 'miss', key };
        // Bands from the calibration floor up are compared in shadow; served only from the threshold up. Below
        // both, down to SAME_WORDING_FLOOR, only a candidate worded the same counts.
        const banded = Math.min(policy.similarityThreshold, CALIBRATION_FLOOR);
        const minScore = Math.min(banded, SAME_WORDING_FLOOR);
        const hits = await deps.vectors!.search(semantic.ns, semantic.prompt.search, { k: CANDIDATES, minScore });
        for (const h of hits) {
          const similarity = promptSimilarity(semantic.prompt, h.score, h.payload.segments, minScore);
          // The segment-by-segment similarity can be below the mean's: such a candidate is neither served nor
          // compared, so it is not verified either (on long prompts verification is most of a lookup's own work).
          // Nor is one that cannot replace the best so far: one worded the same is replaced only by a more similar one.
          if (similarity === undefined || similarity < minScore || (best?.sameWording && best.similarity >= similarity)) continue;
          // Entries without their prompt (written by an earlier version) cannot be verified: never served.
          let verdict: Verdict = typeof h.payload.text === 'string' ? verifyHit(key.queryText!, h.payload.text) : { ok: false, reason: 'noText' };
          // With an NLI model, wording and structure are its call (the word rules are strict about them for want
          // of a better judge); negation, numbers, quantities and names stay hard rules.
          // (Below the bands only a candidate the rules read as worded the same can count: the model is not asked.)
          const wording = verdict.ok || verdict.reason === 'content' || verdict.reason === 'relation';
          const counts = similarity >= banded || (verdict.ok && verdict.sameWording);
          if (policy.verifierModelPath && wording && counts && typeof h.payload.text === 'string') {
            const agrees = await nliAgrees(policy.verifierModelPath, key.queryText!, h.payload.text);
            verdict = agrees ? (verdict.ok ? verdict : { ok: true, sameWording: false }) : { ok: false, reason: 'nli' };
          }
          if (verdict.ok && (verdict.sameWording || similarity >= banded)) {
            if (!best || (verdict.sameWording && !best.sameWording) || (verdict.sameWording === best.sameWording && similarity > best.similarity)) {
              best = { key: String(h.payload.key), similarity, sameWording: verdict.sameWording };
            }
          } else if (!verdict.ok && similarity >= banded && (!rejected || rejected.similarity < similarity)) rejected = { similarity, reason: verdict.reason };
        }
      } catch {
        // The embedder is restarting or the vector store is down: no semantic answer, but still a miss whose
        // answer the exact layer stores (a thrown lookup would be a bypass that stores nothing).
        return { status: 'miss', key };
      }
      if (!best) {
        const note: ShadowNote | undefined = rejected && { layer: 'semantic', similarity: rejected.similarity, rejected: rejected.reason };
        return { status: 'miss', key, semantic, shadow: note };
      }
      const band = bandOf(semantic.embedderId, best.similarity, best.sameWording);
      // A candidate worded the same serves from its floor; any other from the team's threshold.
      const servable = best.sameWording || best.similarity >= policy.similarityThreshold;
      let calibrated = false;
      if (serve && servable) {
        try {
          calibrated = policy.calibration.minSamples === 0 || (!!team && !!band && bandServes(await calibration.counts(team, band), policy.calibration));
        } catch {
          calibrated = false; // calibration unreadable (state store down): do not serve what cannot be vouched for
        }
        if (calibrated) {
          const stored = await deps.store.cacheGet(ENTRY + best.key);
          if (stored) return { status: 'hit', response: JSON.parse(stored), layer: 'semantic', similarity: best.similarity, ...(best.sameWording ? { sameWording: true as const } : {}) };
        }
      }
      const uncalibrated = serve && !calibrated && servable;
      const note: ShadowNote = { layer: 'semantic', similarity: best.similarity, ...(uncalibrated ? { uncalibrated: true as const } : {}) };
      const compare = team && band ? { team, band, key: best.key, similarity: best.similarity } : undefined;
      return { status: 'miss', key, semantic, shadow: note, compare };
    },

    async write(result, response, policy, costMicros) {
      if (result.status === 'hit' || (result.status === 'bypass' && !result.write) || !result.key) return undefined;
      if (!cacheable(response, policy)) return undefined;
      const outcome = result.status === 'miss' && result.compare ? await compare(result.compare, response, costMicros) : undefined;
      const ttlMs = policy.ttlSeconds * 1000;
      const { key } = result;
      await deps.store.cacheSet(ENTRY + key.exact, JSON.stringify(response), ttlMs);
      if (policy.semantic === 'off' || !deps.vectors) return outcome;
      const semantic = (result.status === 'miss' ? result.semantic : undefined) ?? (await semanticLookup(key));
      // The embedder may have been replaced (restart with another model) since the lookup: its vectors would not compare.
      if (!semantic || semantic.embedderId !== deps.embedder()?.id) return outcome;
      const { prompt } = semantic;
      // Read now, after the answer went out, so a lookup that finds this entry analyses only its own prompt.
      if (key.queryText) rememberPrompt(key.queryText);
      await deps.vectors.upsert(
        semantic.ns,
        key.exact,
        prompt.search,
        // The prompt (after the input guards: PII as placeholders) is kept so a later candidate can be verified.
        { key: key.exact, text: key.queryText, ...(prompt.vectors.length > 1 ? { segments: packVectors(prompt.vectors) } : {}) },
        ttlMs,
      );
      return outcome;
    },
  };

  async function compare(pending: PendingComparison, fresh: ChatResponse, costMicros = 0): Promise<ComparisonOutcome | undefined> {
    const stored = await deps.store.cacheGet(ENTRY + pending.key);
    if (!stored) return undefined; // expired meanwhile: nothing would have been served
    const agreed = answersAgree(fresh, JSON.parse(stored) as ChatResponse);
    await calibration.record(pending.team, pending.band, agreed, costMicros);
    return { team: pending.team, band: pending.band, agreed };
  }
}

/**
 * Never cached: empty, truncated or filtered answers (and a streamed one that never said why it finished, whose
 * finish reason is null), and answers with tool calls unless the policy allows them.
 */
function cacheable(response: ChatResponse, policy: EffectiveCache): boolean {
  return response.choices.length > 0 && response.choices.every(
    (c) => (c.finish_reason === 'stop' || (c.finish_reason === 'tool_calls' && policy.cacheToolCalls)) && (policy.cacheToolCalls || !c.message.tool_calls?.length),
  );
}
