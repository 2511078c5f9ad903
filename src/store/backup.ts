import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { makePrivateDir, makeFilesPrivate } from '../util/private-files.ts';
import { BackupError, type BackupSummary } from './backup-error.ts';

export { BackupError, type BackupSummary } from './backup-error.ts';

/** The SQLite file of a data directory (as `openStore` names it). */
const sqliteFile = (dataDir: string) => join(dataDir, 'capstan.db');

/** Moves a file, copying when `to` is on another filesystem. */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to);
    unlinkSync(from);
  }
}

/**
 * Backs a SQLite data directory up into `out` and checks the copy. A stopped coordinator's file
 * is copied here; a serving one holds its file exclusively, so `askServing` asks that process
 * for an online copy (in its `<data-dir>/backups/`), which is then moved to `out`.
 */
export async function backupSqliteDataDir(
  dataDir: string,
  out: string,
  askServing: () => Promise<string>,
): Promise<BackupSummary & { online: boolean }> {
  const file = sqliteFile(dataDir);
  if (!existsSync(file)) throw new BackupError('backup_source_not_found', `${file} does not exist`);
  if (existsSync(out)) throw new BackupError('backup_failed', `${out} exists already`);
  if (!existsSync(dirname(out))) throw new BackupError('backup_failed', `${dirname(out)} does not exist`);
  const { backupStoppedSqlite, inspectSqliteBackup, SqliteInUse } = await import('./sqlite/backup.ts');
  let online = false;
  try {
    await backupStoppedSqlite(file, out);
  } catch (error) {
    if (!(error instanceof SqliteInUse)) throw error;
    online = true;
    moveFile(await askServing(), out);
  }
  makeFilesPrivate([out]);
  return { ...inspectSqliteBackup(out), online };
}

/**
 * Restores a SQLite backup into `dataDir`, which must hold no database (with `force`, the one
 * there is replaced). The backup is checked before and the restored file after the copy.
 */
export async function restoreSqliteDataDir(
  from: string,
  dataDir: string,
  force: boolean,
): Promise<BackupSummary> {
  const { inspectSqliteBackup } = await import('./sqlite/backup.ts');
  inspectSqliteBackup(from);
  const target = sqliteFile(dataDir);
  const occupied = existsSync(dataDir) && statSync(dataDir).isDirectory() && readdirSync(dataDir).length > 0;
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    throw new BackupError('restore_target_not_empty', `${dataDir} is not a directory`);
  if (occupied && !force)
    throw new BackupError('restore_target_not_empty', `${dataDir} is not empty (use --force)`);
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
  makePrivateDir(dataDir);
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${target}${suffix}`, { force: true });
  copyFileSync(from, target);
  makeFilesPrivate([target]);
  return inspectSqliteBackup(target);
}

/** `pg_dump` of Capstan's schema (see the PostgreSQL runbook in docs/backup-and-restore.md). */
export async function backupPostgresSchema(url: string, schema: string, out: string): Promise<BackupSummary> {
  if (existsSync(out)) throw new BackupError('backup_failed', `${out} exists already`);
  const { backupPostgres } = await import('./postgres/backup.ts');
  return backupPostgres(url, schema, out);
}

/** `pg_restore` of a `backupPostgresSchema` file into an empty schema. */
export async function restorePostgresSchema(
  from: string,
  url: string,
  schema: string,
  force: boolean,
): Promise<BackupSummary> {
  if (!existsSync(from) || !statSync(from).isFile())
    throw new BackupError('not_a_backup', `${from} is not a file`);
  const { restorePostgres } = await import('./postgres/backup.ts');
  return restorePostgres(from, url, schema, force);
}
