/**
 * Records every admin change: who (the credential, never the secret, and the name the caller gives in
 * `x-audit-actor`), what (action, target, before/after as the API shows them: no secrets), when and from where
 * (client address, `x-forwarded-for` as claimed, user agent, request id). Stored in the StateStore (every
 * replica sees it) and written as an `admin change` log line. A store failure never undoes the change: it is
 * logged at error level with the whole entry, so the log keeps the record.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditActor, AuditEntry, StateStore } from '../state/state-store.js';

const actors = new WeakMap<FastifyRequest, AuditActor>();

/** Set by the admin auth hook once the caller is known. */
export function setActor(request: FastifyRequest, actor: AuditActor): void {
  const claimed = request.headers['x-audit-actor'];
  const name = typeof claimed === 'string' ? claimed.replace(/[^\x20-\x7e]/g, '').trim().slice(0, 200) : '';
  actors.set(request, name ? { ...actor, name } : actor);
}

export function actorOf(request: FastifyRequest): AuditActor {
  return actors.get(request) ?? { role: 'unknown', credential: 'unknown' };
}

/** `admin-token:<first 8 hex of sha256(token)>`: tells a rotated token from the previous one, reveals nothing. */
export const adminCredential = (token: string) => `admin-token:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;

export interface Change {
  action: string;
  target: AuditEntry['target'];
  team: string;
  before?: object | null;
  after?: object | null;
}

export type AuditRecorder = (request: FastifyRequest, change: Change) => Promise<void>;

export function createAuditRecorder(store: StateStore, logger: Logger): AuditRecorder {
  return async (request, change) => {
    const at = Date.now();
    const forwarded = request.headers['x-forwarded-for'];
    const ua = request.headers['user-agent'];
    const entry: AuditEntry = {
      id: `aud_${at.toString(36).padStart(9, '0')}_${randomBytes(6).toString('hex')}`,
      at,
      actor: actorOf(request),
      action: change.action,
      target: change.target,
      team: change.team,
      before: (change.before ?? null) as AuditEntry['before'],
      after: (change.after ?? null) as AuditEntry['after'],
      ip: request.ip + (typeof forwarded === 'string' ? ` (x-forwarded-for: ${forwarded.slice(0, 200)})` : ''),
      ...(typeof ua === 'string' ? { userAgent: ua.slice(0, 200) } : {}),
      requestId: request.id,
    };
    try {
      await store.appendAudit(entry);
      logger.info({ audit: entry }, 'admin change');
    } catch (err) {
      logger.error({ audit: entry, err: (err as Error).message }, 'admin change not stored in the audit trail (this line is its record)');
    }
  };
}
