import { existsSync, statSync } from 'node:fs';
import { BackupError, type BackupSummary } from '../backup-error.ts';
import { listMigrations } from './migrate.ts';
import { isBusyOrLocked, openSqlite, scalar, type SqliteConnection } from './sqlite-driver.ts';

/** The database is held by a serving coordinator: only that process can copy it. */
export class SqliteInUse extends Error {
  constructor(file: string) {
    super(`${file} is held by a running coordinator`);
    this.name = 'SqliteInUse';
  }
}

/**
 * Copies the database of a stopped coordinator into `out`. A serving coordinator holds its file
 * `locking_mode=EXCLUSIVE`, so the copy is refused with `InUse` and must be taken by that
 * process (the store's `backupOnline`).
 */
export async function backupStoppedSqlite(file: string, out: string): Promise<void> {
  const db = openSqlite(file);
  try {
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (error) {
      if (isBusyOrLocked(error)) throw new SqliteInUse(file);
      throw error;
    }
    await db.backup(out);
  } finally {
    db.close();
  }
}

/**
 * Checks that `file` is a sound Capstan database (SQLite's `integrity_check`, the migrations
 * table, a level this build knows) and says what it holds.
 */
export function inspectSqliteBackup(file: string): BackupSummary {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new BackupError('not_a_backup', `${file} is not a file`);
  let db: SqliteConnection;
  try {
    db = openSqlite(file);
  } catch (error) {
    throw new BackupError('not_a_backup', `${file} cannot be opened: ${(error as Error).message}`);
  }
  try {
    let check: unknown;
    try {
      check = scalar(db, 'PRAGMA integrity_check');
    } catch (error) {
      throw new BackupError('not_a_backup', `${file} is not a SQLite database: ${(error as Error).message}`);
    }
    if (check !== 'ok')
      throw new BackupError('not_a_backup', `${file} fails SQLite's integrity check: ${String(check)}`);
    const hasMigrations = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (!hasMigrations) throw new BackupError('not_a_backup', `${file} is not a Capstan database`);
    const migrationLevel = Number(scalar(db, 'SELECT coalesce(max(version), 0) FROM schema_migrations'));
    const known = Math.max(0, ...listMigrations().map((m) => m.version));
    if (migrationLevel > known)
      throw new BackupError(
        'newer_schema',
        `${file} is at migration ${migrationLevel}, newer than this Capstan (${known})`,
      );
    const executions = Number(scalar(db, 'SELECT count(*) FROM executions'));
    return { bytes: statSync(file).size, executions, migrationLevel };
  } finally {
    db.close();
  }
}
