/**
 * The admin audit trail in SQLite: one row per change (JSON document) with indexed time and team. Created here
 * (IF NOT EXISTS) rather than in the numbered migrations, like the calibration table.
 */
import type { Database } from 'better-sqlite3';
import { AUDIT_MAX_LIMIT, matchesAudit, type AuditEntry, type AuditQuery } from '../audit.js';

export function createSqliteAudit(db: Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS audit_log (id TEXT PRIMARY KEY, at INTEGER NOT NULL, team TEXT NOT NULL, json TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
    CREATE INDEX IF NOT EXISTS audit_log_team_at ON audit_log (team, at)`);
  const insert = db.prepare('INSERT OR IGNORE INTO audit_log (id, at, team, json) VALUES (?, ?, ?, ?)');
  // Newest first, in pages: filters other than time and team are applied to each page in memory.
  const page = db.prepare<[number, number, string | null, string | null, number, number, string, number], { json: string }>(
    `SELECT json FROM audit_log WHERE at >= ? AND at < ? AND (? IS NULL OR team = ?)
     AND (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?`,
  );
  return {
    appendAudit(e: AuditEntry): void {
      insert.run(e.id, e.at, e.team, JSON.stringify(e));
    },
    listAudit(q: AuditQuery): AuditEntry[] {
      const limit = Math.min(q.limit ?? 100, AUDIT_MAX_LIMIT);
      const out: AuditEntry[] = [];
      let cursorAt = q.to ?? Number.MAX_SAFE_INTEGER;
      let cursorId = '\uffff';
      for (;;) {
        const rows = page.all(q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.team ?? null, q.team ?? null, cursorAt, cursorAt, cursorId, 500);
        for (const r of rows) {
          const e = JSON.parse(r.json) as AuditEntry;
          if (matchesAudit(e, q)) out.push(e);
          if (out.length >= limit) return out;
        }
        if (rows.length < 500) return out;
        const last = JSON.parse(rows[rows.length - 1].json) as AuditEntry;
        cursorAt = last.at;
        cursorId = last.id;
      }
    },
  };
}
