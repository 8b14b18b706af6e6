/**
 * Prompt templates in SQLite: one row per template (JSON document) with its revision for compare-and-set, and the
 * per-template usage aggregate (UTC day × template × version × team). Created here (IF NOT EXISTS) rather than in
 * the numbered migrations, like the calibration and audit tables.
 */
import type { Database } from 'better-sqlite3';
import { dayOf, type PromptTemplate, type TemplateUsage, type TemplateUsageRow } from '../templates.js';

export function createSqliteTemplates(db: Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS prompt_templates (id TEXT PRIMARY KEY, revision INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS template_usage (
      day INTEGER NOT NULL, template TEXT NOT NULL, version INTEGER NOT NULL, team_id TEXT NOT NULL,
      requests INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
      cost_micros INTEGER NOT NULL, errors INTEGER NOT NULL,
      PRIMARY KEY (template, day, version, team_id)
    ) WITHOUT ROWID`);
  const get = db.prepare<[string], { json: string }>('SELECT json FROM prompt_templates WHERE id = ?');
  const all = db.prepare<[], { json: string }>('SELECT json FROM prompt_templates ORDER BY id');
  const insert = db.prepare('INSERT OR IGNORE INTO prompt_templates (id, revision, json) VALUES (?, ?, ?)');
  const update = db.prepare('UPDATE prompt_templates SET revision = ?, json = ? WHERE id = ? AND revision = ?');
  const del = db.prepare('DELETE FROM prompt_templates WHERE id = ?');
  const delUsage = db.prepare('DELETE FROM template_usage WHERE template = ?');
  const addUsage = db.prepare(
    `INSERT INTO template_usage VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
     ON CONFLICT (template, day, version, team_id) DO UPDATE SET requests = requests + 1,
       prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
       cost_micros = cost_micros + excluded.cost_micros, errors = errors + excluded.errors`,
  );
  const usage = db.prepare<[string, number, number], TemplateUsageRow>(
    `SELECT day, version, team_id AS teamId, requests, prompt_tokens AS promptTokens, completion_tokens AS completionTokens,
       cost_micros AS costMicros, errors FROM template_usage WHERE template = ? AND day >= ? AND day < ? ORDER BY day, version, team_id`,
  );
  const remove = db.transaction((id: string) => {
    delUsage.run(id);
    return del.run(id).changes === 1;
  });
  return {
    getTemplate(id: string): PromptTemplate | undefined {
      const row = get.get(id);
      return row ? (JSON.parse(row.json) as PromptTemplate) : undefined;
    },
    listTemplates(): PromptTemplate[] {
      return all.all().map((r) => JSON.parse(r.json) as PromptTemplate);
    },
    // One statement each way, so the check and the write are atomic without an explicit transaction.
    saveTemplate(t: PromptTemplate, expectedRevision: number): boolean {
      const json = JSON.stringify(t);
      if (expectedRevision === 0) return insert.run(t.id, t.revision, json).changes === 1;
      return update.run(t.revision, json, t.id, expectedRevision).changes === 1;
    },
    deleteTemplate(id: string): boolean {
      return remove.immediate(id);
    },
    recordTemplateUsage(u: TemplateUsage): void {
      addUsage.run(dayOf(u.at), u.template, u.version, u.teamId, u.promptTokens, u.completionTokens, u.costMicros, u.error ? 1 : 0);
    },
    queryTemplateUsage(template: string, q: { from?: number; to?: number } = {}): TemplateUsageRow[] {
      return usage.all(template, dayOf(q.from ?? 0), q.to ?? Number.MAX_SAFE_INTEGER);
    },
  };
}
