/**
 * Calibration counts in SQLite: one row per team × band, incremented in place. Its table is created here (IF NOT
 * EXISTS) rather than in the numbered migrations, so it stays independent of the other tables' versions.
 */
import type { Database } from 'better-sqlite3';
import type { CalibrationBand } from '../calibration.js';

export function createSqliteCalibration(db: Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS cache_calibration (
    team_id TEXT NOT NULL, band TEXT NOT NULL, samples INTEGER NOT NULL, agreed INTEGER NOT NULL,
    PRIMARY KEY (team_id, band)
  ) WITHOUT ROWID`);
  const add = db.prepare(
    `INSERT INTO cache_calibration (team_id, band, samples, agreed) VALUES (?, ?, 1, ?)
     ON CONFLICT (team_id, band) DO UPDATE SET samples = samples + 1, agreed = agreed + excluded.agreed`,
  );
  const list = db.prepare('SELECT band, samples, agreed FROM cache_calibration WHERE team_id = ? ORDER BY band');
  return {
    recordCalibration(teamId: string, band: string, agreed: boolean): void {
      add.run(teamId, band, agreed ? 1 : 0);
    },
    getCalibration(teamId: string): CalibrationBand[] {
      return list.all(teamId) as CalibrationBand[];
    },
  };
}
