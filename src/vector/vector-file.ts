/**
 * Durable storage behind the embedded vector store: one SQLite file (better-sqlite3, WAL) under the data dir.
 * Every mutation is written through as one small statement, so a crash loses nothing acknowledged. The rows
 * are the source of truth; HNSW graph snapshots are only trusted when a clean shutdown marked them so.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredRow {
  ns: string;
  id: string;
  /** The entry's label in its namespace's HNSW graph snapshot (-1: none). Meaningful only while graphs are clean. */
  label: number;
  seq: number;
  expiresAt: number;
  payload: Record<string, unknown>;
  vector: Float32Array;
}

/** What `load` found: the usable rows, and how many unreadable ones it deleted. */
export interface LoadedRows {
  rows: StoredRow[];
  dropped: number;
}

/**
 * Row-level persistence. Synchronous (better-sqlite3); each call is one short statement. Owned by one store.
 * Opening or loading a file that is not a SQLite database, or whose pages are damaged (a truncated copy, a torn
 * write), throws a SqliteError for which `isCorruptFile` is true; the caller may then `moveCorruptFileAside`.
 */
export interface VectorFile {
  /**
   * Returns the stored rows in ascending `seq` (least recently used first); clears them if `dimension` changed.
   * A row that cannot be read back (vector of another byte length, non-finite values, payload that is not JSON)
   * is deleted and counted in `dropped` instead of failing the whole load.
   */
  load(dimension: number): LoadedRows;
  put(row: Omit<StoredRow, 'label'>): void;
  touch(ns: string, id: string, seq: number): void;
  remove(ns: string, id: string): void;
  /** True when the graph snapshots under `<dir>/graphs/` match the rows (written by a clean shutdown). */
  graphsClean(): boolean;
  setGraphsClean(clean: boolean): void;
  /** Records graph labels, in one transaction, just before the graphs are snapshotted. */
  saveLabels(rows: { ns: string; id: string; label: number }[]): void;
  close(): void;
}

const FILE = 'vectors.sqlite';

/** True for the errors SQLite raises on a damaged or foreign file (not for permissions, a full disk, etc.). */
export function isCorruptFile(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

/**
 * Renames a damaged `vectors.sqlite` (and its WAL/SHM companions) to `vectors.sqlite.corrupt*`, replacing an older
 * copy (one at most, so repeated damage cannot fill the disk). Returns the new path of the database file.
 */
export function moveCorruptFileAside(dir: string): string {
  const to = join(dir, `${FILE}.corrupt`);
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(to + suffix, { force: true });
    if (existsSync(join(dir, FILE + suffix))) renameSync(join(dir, FILE + suffix), to + suffix);
  }
  return to;
}

export function openVectorFile(dir: string): VectorFile {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, FILE));
  try {
    return prepare(db);
  } catch (err) {
    db.close(); // a damaged file must not stay open (and locked) while the caller moves it aside
    throw err;
  }
}

function prepare(db: Database.Database): VectorFile {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS entries (ns TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
      label INTEGER NOT NULL DEFAULT -1, expires_at INTEGER NOT NULL, payload TEXT NOT NULL, vector BLOB NOT NULL,
      PRIMARY KEY (ns, id));`);
  const putStmt = db.prepare(
    'INSERT OR REPLACE INTO entries (ns, id, seq, expires_at, payload, vector) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const touchStmt = db.prepare('UPDATE entries SET seq = ? WHERE ns = ? AND id = ?');
  const removeStmt = db.prepare('DELETE FROM entries WHERE ns = ? AND id = ?');
  const labelStmt = db.prepare('UPDATE entries SET label = ? WHERE ns = ? AND id = ?');
  const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const saveLabels = db.transaction((rows: { ns: string; id: string; label: number }[]) => {
    for (const r of rows) labelStmt.run(r.label, r.ns, r.id);
  });

  return {
    load(dimension) {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'dimension'").get() as { value: string } | undefined;
      if (row && Number(row.value) !== dimension) {
        db.exec('DELETE FROM entries'); // another model: vectors unusable
        setMeta.run('graphs_clean', '0');
      }
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('dimension', ?)").run(String(dimension));
      const raw = db.prepare('SELECT ns, id, label, seq, expires_at, payload, vector FROM entries ORDER BY seq').all() as {
        ns: string;
        id: string;
        label: number;
        seq: number;
        expires_at: number;
        payload: string;
        vector: Buffer;
      }[];
      const rows: StoredRow[] = [];
      let dropped = 0;
      for (const r of raw) {
        const row = readRow(r, dimension);
        if (row) rows.push(row);
        else {
          removeStmt.run(r.ns, r.id);
          dropped++;
        }
      }
      return { rows, dropped };
    },
    put(r) {
      putStmt.run(r.ns, r.id, r.seq, r.expiresAt, JSON.stringify(r.payload), Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength));
    },
    touch(ns, id, seq) {
      touchStmt.run(seq, ns, id);
    },
    remove(ns, id) {
      removeStmt.run(ns, id);
    },
    graphsClean() {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'graphs_clean'").get() as { value: string } | undefined;
      return row?.value === '1';
    },
    setGraphsClean(clean) {
      setMeta.run('graphs_clean', clean ? '1' : '0');
    },
    saveLabels(rows) {
      saveLabels(rows);
    },
    close() {
      db.close();
    },
  };
}

/** A stored row as the store needs it, or undefined when it cannot be used (see `VectorFile.load`). */
function readRow(
  r: { ns: string; id: string; label: number; seq: number; expires_at: number; payload: string; vector: Buffer },
  dimension: number,
): StoredRow | undefined {
  if (!Buffer.isBuffer(r.vector) || r.vector.byteLength !== dimension * 4) return undefined;
  // Copy: the Buffer may not be 4-byte aligned for a Float32Array view.
  const vector = new Float32Array(new Uint8Array(r.vector).buffer);
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (!Number.isFinite(sum) || sum === 0) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  return { ns: r.ns, id: r.id, label: r.label, seq: r.seq, expiresAt: r.expires_at, payload: payload as Record<string, unknown>, vector };
}
