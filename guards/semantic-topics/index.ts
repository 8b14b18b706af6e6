/**
 * Semantic deny topics: a topic is a name and a few example phrases; a prompt whose embedding is within the
 * threshold (cosine) of any example is on that topic. Example embeddings are computed once per topic list and
 * embedder, then reused. Without an embedder the guard is off (the embedder logged why, once).
 *
 * What is compared (`topicUnits`): every message of the scanned roles on its own, and — when there are several —
 * their concatenation, so a topic split over turns is still seen; texts are NFKC-normalised with invisible
 * characters removed, and long texts are cut into overlapping windows (the embedding models read only their
 * first few hundred tokens). A request's wait is bounded (`timeoutMs`): a failing, hanging or still-loading
 * embedder rejects with `TopicGuardUnavailableError`, and the caller decides (fail closed by default).
 */
import type { Embedder } from '../../src/embeddings/embedder.js';
import { guardRole, normaliseGuardText } from '../guard-text.js';

export interface DenyTopic {
  name: string;
  examples: string[];
}

/** Why the guard could not decide. */
export type TopicUnavailableReason = 'timeout' | 'embedder_failed' | 'embedder_loading';

/** The guard could not decide in time. Its message names the cause, never the prompt. */
export class TopicGuardUnavailableError extends Error {
  constructor(
    readonly reason: TopicUnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'TopicGuardUnavailableError';
  }
}

export interface TopicMatchOptions {
  /** Upper bound on the wait for the embedder (also while it is still loading). Default 2000 ms. */
  timeoutMs?: number;
  /**
   * Resolves when the embedder finished loading (or gave up). While it has not, the guard waits for it within
   * `timeoutMs` instead of letting the request through unchecked; once it resolved with no embedder, the guard
   * is off.
   */
  ready?: Promise<unknown>;
}

/** Lives as long as the runtime; caches example embeddings and recent prompt-text embeddings (both bounded). */
export interface TopicMatcher {
  /**
   * The closest denied topic at or above `threshold` over all `texts` (see `topicUnits`), if any. Rejects only
   * with `TopicGuardUnavailableError` (embedder failed, timed out or still loading after `timeoutMs`).
   */
  match(
    texts: string | readonly string[],
    topics: readonly DenyTopic[],
    threshold: number,
    opts?: TopicMatchOptions,
  ): Promise<{ name: string; similarity: number } | undefined>;
}

export const DEFAULT_TOPIC_TIMEOUT_MS = 2000;
/** Characters per window of a long text, and the step between windows (so windows overlap by half). */
export const TOPIC_WINDOW_CHARS = 512;
const TOPIC_WINDOW_STEP = 256;
/** Distinct topic lists whose example vectors are kept (per-team policies change over time). */
const MAX_TOPIC_LISTS = 256;
/** Prompt texts (windows) whose vectors are kept: a conversation resends its history on every turn. */
const MAX_TEXT_VECTORS = 2048;


/** Overlapping windows of at most TOPIC_WINDOW_CHARS characters, cut at whitespace where possible. */
export function windows(text: string): string[] {
  const t = text.trim();
  if (t.length <= TOPIC_WINDOW_CHARS) return t ? [t] : [];
  const out: string[] = [];
  for (let start = 0; start < t.length; ) {
    let end = Math.min(t.length, start + TOPIC_WINDOW_CHARS);
    if (end < t.length) {
      const ws = t.lastIndexOf(' ', end);
      if (ws > start + TOPIC_WINDOW_CHARS / 2) end = ws;
    }
    const w = t.slice(start, end).trim();
    if (w) out.push(w);
    if (end >= t.length) break;
    let next = start + TOPIC_WINDOW_STEP;
    const ws = t.indexOf(' ', next);
    if (ws !== -1 && ws < next + 64 && ws < end) next = ws + 1;
    start = next;
  }
  return out;
}

/**
 * The texts the guard embeds for one request: each message of `roles` (`function`, the legacy tool result,
 * counts as `tool`) normalised and windowed, plus the windows of all of them joined when there are several.
 * Deduplicated; empty texts dropped.
 */
export function topicUnits(messages: readonly { role: string; text: string }[], roles: readonly string[]): string[] {
  const scanned: string[] = [];
  for (const m of messages) {
    if (!roles.includes(guardRole(m.role))) continue;
    const t = normaliseGuardText(m.text).trim();
    if (t) scanned.push(t);
  }
  const units = new Set<string>();
  for (const t of scanned) for (const w of windows(t)) units.add(w);
  if (scanned.length > 1) for (const w of windows(scanned.join('\n'))) units.add(w);
  return [...units];
}

export function createTopicMatcher(embedder: () => Embedder | null): TopicMatcher {
  const examples = new Map<string, Promise<{ name: string; vectors: Float32Array[] }[]>>();
  const texts = new Map<string, Float32Array>(); // LRU by insertion order

  const examplesOf = (e: Embedder, topics: readonly DenyTopic[]) => {
    const key = `${e.id}|${JSON.stringify(topics)}`;
    let entry = examples.get(key);
    if (!entry) {
      entry = (async () => {
        const vectors = await e.embed(topics.flatMap((t) => t.examples.map(normaliseGuardText)));
        let i = 0;
        return topics.map((t) => ({ name: t.name, vectors: t.examples.map(() => vectors[i++]!) }));
      })();
      entry.catch(() => examples.delete(key));
      if (examples.size >= MAX_TOPIC_LISTS) examples.delete(examples.keys().next().value!);
      examples.set(key, entry);
    } else {
      examples.delete(key);
      examples.set(key, entry);
    }
    return entry;
  };

  /** Vectors of `units`, from the cache where possible; the missing ones in one embed call. */
  const vectorsOf = async (e: Embedder, units: readonly string[]): Promise<Float32Array[]> => {
    const out: (Float32Array | undefined)[] = units.map((u) => {
      const v = texts.get(`${e.id}|${u}`);
      if (v) {
        texts.delete(`${e.id}|${u}`);
        texts.set(`${e.id}|${u}`, v);
      }
      return v;
    });
    const missing = units.filter((_, i) => !out[i]);
    if (missing.length) {
      const got = await e.embed(missing);
      let j = 0;
      for (let i = 0; i < units.length; i++) {
        if (out[i]) continue;
        const v = got[j++]!;
        out[i] = v;
        texts.set(`${e.id}|${units[i]}`, v);
        if (texts.size > MAX_TEXT_VECTORS) texts.delete(texts.keys().next().value!);
      }
    }
    return out as Float32Array[];
  };

  const decide = async (units: readonly string[], topics: readonly DenyTopic[], threshold: number, ready?: Promise<unknown>) => {
    let e = embedder();
    if (!e && ready) {
      await ready;
      e = embedder();
    }
    if (!e) return undefined;
    let vectors: Float32Array[];
    let ex: { name: string; vectors: Float32Array[] }[];
    try {
      [ex, vectors] = await Promise.all([examplesOf(e, topics), vectorsOf(e, units)]);
    } catch {
      // The embedder's message may quote its endpoint's answer; the prompt must not reach logs through it.
      throw new TopicGuardUnavailableError('embedder_failed', 'the embedder failed');
    }
    let best: { name: string; similarity: number } | undefined;
    for (const t of ex) {
      for (const x of t.vectors) {
        for (const v of vectors) {
          const s = dot(v, x);
          if (s >= threshold && (!best || s > best.similarity)) best = { name: t.name, similarity: s };
        }
      }
    }
    return best;
  };

  return {
    async match(input, topics, threshold, opts = {}) {
      const units = typeof input === 'string' ? windows(normaliseGuardText(input)) : [...input];
      if (units.length === 0 || topics.length === 0) return undefined;
      if (!embedder() && !opts.ready) return undefined;
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TOPIC_TIMEOUT_MS;
      const work = decide(units, topics, threshold, opts.ready);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const loading = !embedder();
          reject(
            new TopicGuardUnavailableError(
              loading ? 'embedder_loading' : 'timeout',
              loading ? `the embedder was still loading after ${timeoutMs} ms` : `the embedder did not answer within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      });
      // The embed call goes on after a timeout (its vectors still fill the cache); its failure is not unhandled.
      work.catch(() => undefined);
      try {
        return await Promise.race([work, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
