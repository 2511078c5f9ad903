import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertWithinWindow,
  infoOf,
  migrationsAhead,
  readMigrations,
  recordedMigration,
  type Migration,
  type MigrationInfo,
  type RecordedMigration,
} from '../migrations.ts';
import type { SqliteConnection } from './sqlite-driver.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The numbered, forward-only migrations of this dialect, in order. */
export function listMigrations(): Migration[] {
  return readMigrations(MIGRATIONS_DIR);
}

/**
 * The runner's own table. `compatibility` came later than the table: added to one that lacks
 * it, and filled in for the migrations this code knows, so a node that does not know a later
 * one can tell whether it may run beside it.
 */
function prepareTable(db: SqliteConnection, known: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL, compatibility TEXT)`);
  const columns = db.prepare("SELECT name FROM pragma_table_info('schema_migrations')").all() as {
    name: string;
  }[];
  if (columns.some((c) => c.name === 'compatibility')) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('ALTER TABLE schema_migrations ADD COLUMN compatibility TEXT');
    const fill = db.prepare('UPDATE schema_migrations SET compatibility = ? WHERE version = ?');
    for (const m of known) fill.run(m.compatibility, m.version);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** What `schema_migrations` records; nothing when the table does not exist yet. */
function recorded(db: SqliteConnection): RecordedMigration[] {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!hasTable) return [];
  // `*`: the compatibility column is absent from a table an older Capstan made.
  const rows = db.prepare('SELECT * FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    compatibility?: string | null;
  }[];
  return rows.map(recordedMigration);
}

/**
 * Applies pending migrations, each in its own transaction, forward only. Refuses
 * (`SchemaTooNewError`, nothing applied) when the file holds a migration this code does not
 * know that is not additive; additive ones are left as they are.
 */
export function migrate(
  db: SqliteConnection,
  nowMs: number,
  known: readonly Migration[] = listMigrations(),
): number[] {
  assertWithinWindow(migrationsAhead(recorded(db), known));
  prepareTable(db, known);
  const applied = new Set(recorded(db).map((r) => r.version));
  const done: number[] = [];
  for (const m of known) {
    if (applied.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.prepare(
        'INSERT INTO schema_migrations (version, name, applied_at, compatibility) VALUES (?, ?, ?, ?)',
      ).run(m.version, m.name, nowMs, m.compatibility);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    done.push(m.version);
  }
  return done;
}

/** The migrations not applied yet, in order (all of them on a fresh file); applies nothing. */
export function listPendingMigrations(
  db: SqliteConnection,
  known: readonly Migration[] = listMigrations(),
): MigrationInfo[] {
  const applied = new Set(recorded(db).map((r) => r.version));
  return known.filter((m) => !applied.has(m.version)).map(infoOf);
}

/** The recorded migrations this code does not know (a newer Capstan applied them). */
export function listMigrationsAhead(
  db: SqliteConnection,
  known: readonly Migration[] = listMigrations(),
): RecordedMigration[] {
  return migrationsAhead(recorded(db), known);
}

/** How many migrations are not applied yet. */
export function pendingMigrations(db: SqliteConnection): number {
  return listPendingMigrations(db).length;
}

/** The schema as SQLite reports it, normalised: what the committed snapshot is compared with. */
export function schemaSnapshot(db: SqliteConnection): string {
  const rows = db
    .prepare(
      "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name",
    )
    .all() as { sql: string }[];
  return `${rows.map((r) => `${r.sql.replace(/\s+/g, ' ').trim()};`).join('\n')}\n`;
}
