import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteConnection } from './sqlite-driver.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The numbered, forward-only migrations of this dialect, in order. */
export function listMigrations(): { version: number; name: string; sql: string }[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f,
      sql: readFileSync(join(MIGRATIONS_DIR, f), 'utf8'),
    }));
}

/** Applies pending migrations, each in its own transaction. */
export function migrate(db: SqliteConnection, nowMs: number): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const done: number[] = [];
  for (const m of listMigrations()) {
    if (applied.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        nowMs,
      );
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
export function listPendingMigrations(db: SqliteConnection): { version: number; name: string }[] {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  const applied = new Set(
    hasTable
      ? (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
          (r) => r.version,
        )
      : [],
  );
  return listMigrations()
    .filter((m) => !applied.has(m.version))
    .map(({ version, name }) => ({ version, name }));
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
