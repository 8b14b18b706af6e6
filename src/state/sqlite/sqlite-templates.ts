/**
 * Prompt templates in SQLite: one row per template (JSON document) with its revision for compare-and-set.
 * Created here (IF NOT EXISTS) rather than in the numbered migrations, like the calibration and audit tables.
 */
import type { Database } from 'better-sqlite3';
import type { PromptTemplate } from '../templates.js';

export function createSqliteTemplates(db: Database) {
  db.exec('CREATE TABLE IF NOT EXISTS prompt_templates (id TEXT PRIMARY KEY, revision INTEGER NOT NULL, json TEXT NOT NULL)');
  const get = db.prepare<[string], { json: string }>('SELECT json FROM prompt_templates WHERE id = ?');
  const all = db.prepare<[], { json: string }>('SELECT json FROM prompt_templates ORDER BY id');
  const insert = db.prepare('INSERT OR IGNORE INTO prompt_templates (id, revision, json) VALUES (?, ?, ?)');
  const update = db.prepare('UPDATE prompt_templates SET revision = ?, json = ? WHERE id = ? AND revision = ?');
  const del = db.prepare('DELETE FROM prompt_templates WHERE id = ?');
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
      return del.run(id).changes === 1;
    },
  };
}
