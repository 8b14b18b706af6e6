/**
 * The admin audit trail in Redis: one sorted set (score = time, member = the entry's JSON) under its own hash
 * tag, shared by every replica. Entries older than the retention are trimmed when a new one is written.
 */
import { AUDIT_MAX_LIMIT, matchesAudit, type AuditEntry, type AuditQuery } from '../audit.js';
import type { Redis, RedisLike } from './redis-client.js';

export function createRedisAudit(client: RedisLike, prefix: string, retentionMs: number) {
  const key = `${prefix}{audit}:log`;
  const r = client as Redis;
  return {
    async appendAudit(e: AuditEntry): Promise<void> {
      // One key, so MULTI is valid in a Cluster too.
      await r.multi().zadd(key, e.at, JSON.stringify(e)).zremrangebyscore(key, '-inf', `(${e.at - retentionMs}`).exec();
    },
    async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
      const limit = Math.min(q.limit ?? 100, AUDIT_MAX_LIMIT);
      const max = q.to !== undefined ? `(${q.to}` : '+inf';
      const min = q.from !== undefined ? String(q.from) : '-inf';
      const out: AuditEntry[] = [];
      // Newest first, in pages; the filters are applied per page.
      for (let offset = 0; ; offset += 500) {
        const members = await r.zrevrangebyscore(key, max, min, 'LIMIT', offset, 500);
        for (const m of members) {
          const e = JSON.parse(m) as AuditEntry;
          if (matchesAudit(e, q)) out.push(e);
          if (out.length >= limit) return out;
        }
        if (members.length < 500) return out;
      }
    },
  };
}
