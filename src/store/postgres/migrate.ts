import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { checkSchemaName } from '../schema-name.ts';
import { exec, row, rows, type Db } from './sql.ts';

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

/**
 * Applies pending migrations in one transaction, serialised across coordinator nodes by a
 * transaction-scoped advisory lock keyed on the schema: the first node migrates, the others
 * wait for its COMMIT, then find nothing pending. Creates the schema if it is missing.
 */
export async function migrate(pool: Pool, schema: string, nowMs: number): Promise<number[]> {
  const client = await pool.connect();
  const done: number[] = [];
  try {
    await client.query('BEGIN');
    await exec(client, `SELECT pg_advisory_xact_lock(hashtext('capstan.migrate.' || @schema))`, { schema });
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const applied = new Set(
      (await rows<{ version: number }>(client, 'SELECT version FROM schema_migrations')).map(
        (r) => r.version,
      ),
    );
    for (const m of listMigrations()) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await exec(
        client,
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @nowMs)',
        { version: m.version, name: m.name, nowMs },
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
): Promise<{ version: number; name: string }[]> {
  const table = await row<{ present: boolean }>(
    db,
    `SELECT to_regclass(quote_ident(@schema) || '.schema_migrations') IS NOT NULL AS present`,
    { schema },
  );
  const applied = new Set(
    table?.present
      ? (
          await rows<{ version: number }>(
            db,
            `SELECT version FROM ${checkSchemaName(schema)}.schema_migrations`,
          )
        ).map((r) => r.version)
      : [],
  );
  return listMigrations()
    .filter((m) => !applied.has(m.version))
    .map(({ version, name }) => ({ version, name }));
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
