import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { asStoreError } from './unavailable.ts';

/** Where a statement runs: the pool (reads) or the group-commit transaction's client (commands). */
export type Db = Pool | PoolClient;

interface Compiled {
  readonly text: string;
  readonly names: readonly string[];
}

const compiled = new Map<string, Compiled>();

/**
 * Rewrites `@name` parameters to PostgreSQL's `$n` (a repeated name reuses its number), so
 * the statements read like their SQLite twins. Compiled once per statement text.
 */
function compile(sql: string): Compiled {
  let c = compiled.get(sql);
  if (!c) {
    const names: string[] = [];
    const text = sql.replace(/@([A-Za-z_]\w*)/g, (_, name: string) => {
      let i = names.indexOf(name);
      if (i < 0) i = names.push(name) - 1;
      return `$${i + 1}`;
    });
    c = { text, names };
    compiled.set(sql, c);
  }
  return c;
}

/** Runs one statement with named parameters; `undefined` binds as NULL. */
export async function query<R extends QueryResultRow>(
  db: Db,
  sql: string,
  params: object = {},
): Promise<{ rows: R[]; rowCount: number }> {
  const bound = params as Record<string, unknown>;
  const { text, names } = compile(sql);
  const values = names.map((name) => {
    if (!(name in bound)) throw new Error(`statement parameter @${name} is not bound`);
    return bound[name] ?? null;
  });
  const result = await db.query<R>(text, values).catch((error: unknown) => {
    throw asStoreError(error);
  });
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

export const rows = async <R extends QueryResultRow>(db: Db, sql: string, params?: object): Promise<R[]> =>
  (await query<R>(db, sql, params)).rows;

export const row = async <R extends QueryResultRow>(
  db: Db,
  sql: string,
  params?: object,
): Promise<R | undefined> => (await query<R>(db, sql, params)).rows[0];

export const exec = async (db: Db, sql: string, params?: object): Promise<number> =>
  (await query(db, sql, params)).rowCount;
