/**
 * The admin audit trail's records and queries, shared by both stores. An entry is written once and never
 * changed; `before`/`after` are the objects as the admin API shows them (no secrets, no key hashes).
 */

export interface AuditActor {
  /** `admin` (the gateway admin token), `team_admin` (a team's admin key) and so on as roles are added. */
  role: string;
  /** Which credential: `admin-token:<first 8 hex of its sha256>` or `key:<key id>`; never the secret. */
  credential: string;
  /** What the caller says it is (`x-audit-actor` header, e.g. a person's e-mail): recorded as claimed. */
  name?: string;
  /** The team the actor is limited to, for team-scoped roles. */
  team?: string;
}

export interface AuditEntry {
  /** Unique, sortable: `aud_<ms in base36>_<random>`. */
  id: string;
  at: number;
  actor: AuditActor;
  /** `team.create`, `team.update`, `team.delete`, `key.create`, `key.update`, `key.revoke`, `key.rotate`. */
  action: string;
  target: { type: 'team' | 'key' | 'template'; id: string };
  /** The team the change concerns (the team itself, or the key's team): the filter team admins see. */
  team: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Where from: the client address (as the socket or a trusted proxy gives it), user agent, request id. */
  ip: string;
  userAgent?: string;
  requestId: string;
}

export interface AuditQuery {
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  team?: string;
  action?: string;
  targetId?: string;
  /** Matches `actor.credential` or `actor.name`. */
  actor?: string;
  /** Newest first; at most this many (default 100, max 1000). */
  limit?: number;
}

/** Newest first, filtered: the part of a query both stores apply in memory after their range read. */
export function matchesAudit(e: AuditEntry, q: AuditQuery): boolean {
  if (q.team !== undefined && e.team !== q.team) return false;
  if (q.action !== undefined && e.action !== q.action) return false;
  if (q.targetId !== undefined && e.target.id !== q.targetId) return false;
  if (q.actor !== undefined && e.actor.credential !== q.actor && e.actor.name !== q.actor) return false;
  return true;
}

export const AUDIT_MAX_LIMIT = 1000;
