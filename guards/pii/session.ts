import { LRUCache } from 'lru-cache';
import type { PiiAction, PiiCategory, PiiDetector, PiiFinding, PiiPolicy, StreamTransform } from './types.js';
import { actionFor } from './actions.js';
import { resolveOverlaps } from './detector.js';
import { maskValue, PLACEHOLDER_NAMES, redactionMarker } from './placeholders.js';
import { createStreamRestorer, restoreText, type PseudonymTable, type RestoreOptions } from './stream-restorer.js';

/** One applied finding, safe to log: category, action and position, never the value. */
export interface AppliedFinding {
  category: PiiCategory;
  action: PiiAction;
}

/** Result of PiiSession.apply. When `blocked` is non-empty the caller rejects the request (400 `pii_detected`). */
export interface PiiApplyResult {
  text: string;
  findings: AppliedFinding[];
  blocked: PiiCategory[];
}

/**
 * Per-request PII state. Lifetime: one request (all its messages, tool arguments and tool results, then its answer).
 * `apply` transforms input text per policy and remembers pseudonyms so the same value gets the same numbered
 * placeholder across every call; `restore` / `createRestorer` put originals back into the answer. Not shared
 * between requests: pseudonyms must never leak across tenants. Synchronous; never throws on any string input.
 */
export interface PiiSession {
  /**
   * Detects and transforms `text`. `extra` adds findings from an asynchronous recognizer run beforehand (NER);
   * pattern findings win where they overlap.
   */
  apply(text: string, extra?: readonly PiiFinding[]): PiiApplyResult;
  /** Restores pseudonyms in a whole (non-streamed) text. `json: true` escapes values for a JSON string. */
  restore(text: string, opts?: RestoreOptions): string;
  /** One restorer per streamed channel (each choice's content, each tool call's arguments). */
  createRestorer(opts?: RestoreOptions): StreamTransform;
  /** Number of distinct pseudonyms issued so far. */
  readonly placeholderCount: number;
}

// Digits-and-letters identifiers are compared without separators/case so "4242 4242…" and "4242-4242…" share one
// pseudonym; e-mails compare case-insensitively; everything else exactly.
function normalise(category: PiiCategory, value: string): string {
  if (category === 'email') return value.toLowerCase();
  if (category === 'password' || category.endsWith('_key') || category.endsWith('_token') || category === 'jwt') return value;
  if (category === 'person' || category === 'street_address') return value.replace(/\s+/g, ' ').toLowerCase();
  return value.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/** Texts shorter than this are scanned every time: the bookkeeping would cost more than the scan. */
const MIN_MEMO_CHARS = 256;
/** Characters of memoised text held per detector (the findings themselves are a few numbers each). */
const MEMO_CHARS = 4_000_000;
const memos = new WeakMap<PiiDetector, LRUCache<string, readonly PiiFinding[]>>();

/**
 * The detector's findings for an input text, memoised across requests. Why: a chat client resends the whole
 * conversation every turn, so without it each turn re-scans all earlier messages (quadratic over a conversation;
 * ~0.6 ms per 10 KB). A lookup hashes the string once, which is far cheaper than the ~40 regexes. Findings hold
 * positions and categories only, never values, and pseudonyms are still issued per session, so nothing crosses
 * requests but "this text has PII here". Only inputs: streamed output windows differ every time and would flush
 * the memo.
 */
function detectInput(detector: PiiDetector, text: string): readonly PiiFinding[] {
  if (text.length < MIN_MEMO_CHARS || text.length > MEMO_CHARS) return detector.detect(text);
  let memo = memos.get(detector);
  if (!memo) {
    memo = new LRUCache({ maxSize: MEMO_CHARS, sizeCalculation: (_f, key) => key.length });
    memos.set(detector, memo);
  }
  let found = memo.get(text);
  if (!found) {
    found = Object.freeze(detector.detect(text).map((f) => Object.freeze(f)));
    memo.set(text, found);
  }
  return found;
}

export function createPiiSession(detector: PiiDetector, policy: PiiPolicy): PiiSession {
  const maskKeep = policy.maskKeep ?? 4;
  const byValue = new Map<string, string>(); // category:normalised → key (EMAIL_1)
  const byKey = new Map<string, string>(); // key → original text
  const counters = new Map<PiiCategory, number>();
  let longestKey = 0;

  const table: PseudonymTable = {
    lookup: (key) => byKey.get(key),
    keys: () => byKey.keys(),
    get longestKey() {
      return longestKey;
    },
  };

  function pseudonymFor(category: PiiCategory, value: string): string {
    const id = `${category}:${normalise(category, value)}`;
    let key = byValue.get(id);
    if (!key) {
      const n = (counters.get(category) ?? 0) + 1;
      counters.set(category, n);
      key = `${PLACEHOLDER_NAMES[category]}_${n}`;
      byValue.set(id, key);
      byKey.set(key, value);
      longestKey = Math.max(longestKey, key.length);
    }
    return `[${key}]`;
  }

  function replacement(f: PiiFinding, action: PiiAction, value: string): string {
    switch (action) {
      case 'redact':
      case 'block':
        return redactionMarker(f.category);
      case 'mask':
        return maskValue(value, maskKeep);
      case 'pseudonymise':
        return pseudonymFor(f.category, value);
      default:
        return value;
    }
  }

  return {
    apply(text: string, extra?: readonly PiiFinding[]): PiiApplyResult {
      const patterns = detectInput(detector, text);
      const found = extra?.length
        ? resolveOverlaps<PiiFinding & { p: number }>(
            [...patterns.map((f) => ({ ...f, p: 1 })), ...extra.map((f) => ({ ...f, p: 0 }))],
            (f) => f.p,
          )
        : patterns;
      if (found.length === 0) return { text, findings: [], blocked: [] };
      const findings: AppliedFinding[] = [];
      const blocked = new Set<PiiCategory>();
      let out = '';
      let last = 0;
      for (const f of found) {
        const action = actionFor(policy, f.category);
        findings.push({ category: f.category, action });
        if (action === 'block') blocked.add(f.category);
        out += text.slice(last, f.start) + replacement(f, action, text.slice(f.start, f.end));
        last = f.end;
      }
      return { text: out + text.slice(last), findings, blocked: [...blocked] };
    },
    restore: (text, opts) => restoreText(text, table, opts),
    createRestorer: (opts) => createStreamRestorer(table, opts),
    get placeholderCount() {
      return byKey.size;
    },
  };
}

