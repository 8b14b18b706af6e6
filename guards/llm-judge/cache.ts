/**
 * Verdicts reused for the same question: an LRU keyed by a SHA-256 of everything the verdict depends on (team,
 * judge model, format, policy and the judged text), with a TTL per entry (the team's `cacheTtlSeconds`). Keyed by
 * team too: a verdict is paid for by the team that asked, and never answers another team's request.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { JudgeVerdict } from './verdict.js';

export interface VerdictCache {
  get(key: string): JudgeVerdict | undefined;
  set(key: string, verdict: JudgeVerdict, ttlSeconds: number): void;
  readonly size: number;
}

export function verdictKey(parts: { team: string; model: string; format: string; policy: string; text: string }): string {
  const h = createHash('sha256');
  for (const p of [parts.team, parts.model, parts.format, parts.policy, parts.text]) h.update(p).update('\u0000');
  return h.digest('base64url');
}

export function createVerdictCache(maxEntries = 10_000): VerdictCache {
  const lru = new LRUCache<string, JudgeVerdict>({ max: maxEntries });
  return {
    get: (key) => lru.get(key),
    set: (key, verdict, ttlSeconds) => {
      if (ttlSeconds > 0) lru.set(key, verdict, { ttl: ttlSeconds * 1000 });
    },
    get size() {
      return lru.size;
    },
  };
}
