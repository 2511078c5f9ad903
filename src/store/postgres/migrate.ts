import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool, PoolClient } from 'pg';
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
import { checkSchemaName } from '../schema-name.ts';
import { exec, rows, type Db } from './sql.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The numbered, forward-only migrations of this dialect, in order. */
export function listMigrations(): Migration[] {
  return readMigrations(MIGRATIONS_DIR);
}

/**
 * What `<schema>.schema_migrations` records; nothing when the schema or the table does not
 * exist. Unnamed statements: `*` changes shape when the compatibility column is added, which
 * a prepared statement would not survive.
 */
async function recorded(db: Db, schema: string): Promise<RecordedMigration[]> {
  const table = await db.query<{ present: boolean }>(
    `SELECT to_regclass(quote_ident($1) || '.schema_migrations') IS NOT NULL AS present`,
    [schema],
  );
  if (!table.rows[0]?.present) return [];
  // `*`: the compatibility column is absent from a table an older Capstan made.
  const found = await db.query<{ version: number; name: string; compatibility?: string | null }>(
    `SELECT * FROM ${checkSchemaName(schema)}.schema_migrations ORDER BY version`,
  );
  return found.rows.map(recordedMigration);
}

/**
 * The runner's own table. `compatibility` came later than the table: added to one that lacks
 * it, and filled in for the migrations this code knows, so a node that does not know a later
 * one can tell whether it may run beside it.
 */
async function prepareTable(client: PoolClient, schema: string, known: readonly Migration[]): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, compatibility TEXT)`);
  const column = await client.query(
    `SELECT 1 FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'schema_migrations' AND column_name = 'compatibility'`,
    [schema],
  );
  if (column.rows.length > 0) return;
  await client.query('ALTER TABLE schema_migrations ADD COLUMN compatibility TEXT');
  for (const m of known)
    await client.query('UPDATE schema_migrations SET compatibility = $1 WHERE version = $2', [
      m.compatibility,
      m.version,
    ]);
}

/**
 * Applies pending migrations in one transaction, forward only, serialised across coordinator
 * nodes by a transaction-scoped advisory lock keyed on the schema: the first node migrates,
 * the others wait for its COMMIT, then find nothing pending. Creates the schema if it is
 * missing. Refuses (`SchemaTooNewError`, nothing applied) when the schema holds a migration
 * this code does not know that is not additive; additive ones are left as they are.
 */
export async function migrate(
  pool: Pool,
  schema: string,
  nowMs: number,
  known: readonly Migration[] = listMigrations(),
): Promise<number[]> {
  const client = await pool.connect();
  const done: number[] = [];
  try {
    await client.query('BEGIN');
    await exec(client, `SELECT pg_advisory_xact_lock(hashtext('capstan.migrate.' || @schema))`, { schema });
    assertWithinWindow(migrationsAhead(await recorded(client, schema), known));
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(schema)}`);
    await prepareTable(client, schema, known);
    const applied = new Set((await recorded(client, schema)).map((r) => r.version));
    for (const m of known) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at, compatibility) VALUES ($1, $2, $3, $4)',
        [m.version, m.name, nowMs, m.compatibility],
      );
      done.push(m.version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return done;
}

/**
 * The migrations not applied yet in `schema`, in order (all of them when the schema or its
 * `schema_migrations` table does not exist); creates and applies nothing.
 */
export async function listPendingMigrations(
  db: Db,
  schema: string,
  known: readonly Migration[] = listMigrations(),
): Promise<MigrationInfo[]> {
  const applied = new Set((await recorded(db, schema)).map((r) => r.version));
  return known.filter((m) => !applied.has(m.version)).map(infoOf);
}

/** The recorded migrations this code does not know (a newer Capstan applied them). */
export async function listMigrationsAhead(
  db: Db,
  schema: string,
  known: readonly Migration[] = listMigrations(),
): Promise<RecordedMigration[]> {
  return migrationsAhead(await recorded(db, schema), known);
}

/**
 * The schema as PostgreSQL reports it (tables, columns, indexes of `schema`), in a stable
 * order and without the schema name: what the committed snapshot is compared with.
 */
export async function schemaSnapshot(db: Db, schema: string): Promise<string> {
  const columns = await rows<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
    is_identity: string;
    collation_name: string | null;
  }>(
    db,
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, collation_name
     FROM information_schema.columns WHERE table_schema = @schema
     ORDER BY table_name COLLATE "C", ordinal_position`,
    { schema },
  );
  const indexes = await rows<{ indexname: string; indexdef: string }>(
    db,
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = @schema ORDER BY indexname COLLATE "C"`,
    { schema },
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) {
    const column = [
      c.column_name,
      c.data_type,
      c.collation_name ? `COLLATE "${c.collation_name}"` : '',
      c.is_nullable === 'NO' ? 'NOT NULL' : '',
      c.is_identity === 'YES' ? 'GENERATED ALWAYS AS IDENTITY' : '',
      c.column_default ? `DEFAULT ${c.column_default}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    tables.set(c.table_name, [...(tables.get(c.table_name) ?? []), column]);
  }
  const lines = [...tables].map(([table, cols]) => `CREATE TABLE ${table} (${cols.join(', ')});`);
  const unqualified = (def: string) => def.split(`${schema}.`).join('');
  lines.push(...indexes.map((i) => `${unqualified(i.indexdef)};`));
  return `${lines.join('\n')}\n`;
}
