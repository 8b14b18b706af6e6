/**
 * Calibration counts in SQLite: one row per team × band, incremented in place. Its table is created here (IF NOT
 * EXISTS) rather than in the numbered migrations, so it stays independent of the other tables' versions.
 */
import type { Database } from 'better-sqlite3';
import type { CalibrationBand } from '../calibration.js';

export function createSqliteCalibration(db: Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS cache_calibration (
    team_id TEXT NOT NULL, band TEXT NOT NULL, samples INTEGER NOT NULL, agreed INTEGER NOT NULL,
    cost_micros INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, band)
  ) WITHOUT ROWID`);
  // Tables made by earlier versions have no cost column: added in place (their comparisons count as costing 0).
  const columns = db.prepare('PRAGMA table_info(cache_calibration)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'cost_micros')) db.exec('ALTER TABLE cache_calibration ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0');
  const add = db.prepare(
    `INSERT INTO cache_calibration (team_id, band, samples, agreed, cost_micros) VALUES (?, ?, 1, ?, ?)
     ON CONFLICT (team_id, band) DO UPDATE SET samples = samples + 1, agreed = agreed + excluded.agreed, cost_micros = cost_micros + excluded.cost_micros`,
  );
  const list = db.prepare('SELECT band, samples, agreed, cost_micros AS costMicros FROM cache_calibration WHERE team_id = ? ORDER BY band');
  return {
    recordCalibration(teamId: string, band: string, agreed: boolean, costMicros = 0): void {
      add.run(teamId, band, agreed ? 1 : 0, Math.max(0, Math.round(costMicros)));
    },
    getCalibration(teamId: string): CalibrationBand[] {
      return list.all(teamId) as CalibrationBand[];
    },
  };
}
