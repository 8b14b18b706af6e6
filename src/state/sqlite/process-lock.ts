/**
 * One gateway process per embedded store. Budgets and rate limits of the embedded store live in the owning
 * process's memory (the authority, see sqlite-budgets.ts), so a second process on the same data would count on
 * its own and overspend; several replicas share Redis instead.
 *
 * The lock is a tiny SQLite database beside the state file, opened in EXCLUSIVE locking mode and written once:
 * SQLite then holds its OS file lock until the connection closes, and the OS drops it when the process dies. So
 * a crash never leaves a stale lock behind (unlike a pid file, which a restarted container with the same pid
 * would mistake for a live owner), and a second process, or a second store in this process, is refused at once.
 */
import Database from 'better-sqlite3';
import { StateUnavailableError } from '../errors.js';

export interface ProcessLock {
  release(): void;
}

/**
 * Open lock connections. better-sqlite3 closes a connection that is garbage-collected, which would drop the lock
 * of a store its owner no longer references while that store's timers still write; held here, a lock lasts until
 * `release()` or the end of the process.
 */
const held = new Set<Database.Database>();

export function acquireProcessLock(dbPath: string): ProcessLock {
  const lockPath = `${dbPath}.lock`;
  let db: Database.Database | undefined;
  try {
    db = new Database(lockPath, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER, since INTEGER)');
    db.transaction(() => {
      db!.exec('DELETE FROM owner');
      db!.prepare('INSERT INTO owner VALUES (?, ?)').run(process.pid, Date.now());
    }).exclusive();
  } catch (err) {
    db?.close();
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new StateUnavailableError(
        `the state database ${dbPath} is in use by another gateway process: the embedded store serves one process ` +
          '(run several replicas on a Redis state store instead)',
        { cause: err },
      );
    }
    throw new StateUnavailableError(`cannot lock the state database ${dbPath}: ${(err as Error).message}`, { cause: err });
  }
  const lockDb = db;
  held.add(lockDb);
  return {
    release: () => {
      held.delete(lockDb);
      lockDb.close();
    },
  };
}
