import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { asStoreError, wentStale } from './unavailable.ts';

/** Where a statement runs: the pool (reads) or the group-commit transaction's client (commands). */
export type Db = Pool | PoolClient;

interface Compiled {
  /** The prepared statement's name on every connection that runs it; none for optional filters. */
  readonly name: string | undefined;
  readonly text: string;
  readonly names: readonly string[];
}

const compiled = new Map<string, Compiled>();

/**
 * Rewrites `@name` parameters to PostgreSQL's `$n` (a repeated name reuses its number), so
 * the statements read like their SQLite twins. Compiled once per statement text, and named:
 * each connection prepares a statement the first time it runs it and afterwards only binds
 * and executes it, so PostgreSQL does not parse and plan the hot statements again each time.
 * Statement texts are fixed strings (values are always bound), so the set of names is bounded.
 * A statement with optional filters (`@x IS NULL OR …`) stays unnamed: PostgreSQL may switch a
 * prepared statement to one generic plan, which cannot pick the index the filters given call for.
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
    const name = /IS NULL OR/i.test(sql) ? undefined : `capstan_${compiled.size + 1}`;
    c = { name, text, names };
    compiled.set(sql, c);
  }
  return c;
}

/**
 * Runs one statement with named parameters; `undefined` binds as NULL. A read on the pool that
 * finds its prepared statement stale (a migration changed its result columns) is sent again: the
 * pool discards the connection it failed on, so each retry is on another one, at most one per
 * pooled connection. In a transaction the group commit runs the command again instead.
 */
export async function query<R extends QueryResultRow>(
  db: Db,
  sql: string,
  params: object = {},
): Promise<{ rows: R[]; rowCount: number }> {
  const { name } = compile(sql);
  const { text, values } = bind(sql, params);
  for (let tries = 1; ; tries++) {
    try {
      const result = await db.query<R>({ name, text, values });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
      if (!(isPool(db) && wentStale(error) && tries <= db.options.max)) throw asStoreError(error);
    }
  }
}

const isPool = (db: Db): db is Pool => 'totalCount' in db;

/** A statement's `$n` text and its values in order (`undefined` binds as NULL). */
export function bind(sql: string, params: object = {}): { text: string; values: unknown[] } {
  const bound = params as Record<string, unknown>;
  const { text, names } = compile(sql);
  const values = names.map((param) => {
    if (!(param in bound)) throw new Error(`statement parameter @${param} is not bound`);
    return bound[param] ?? null;
  });
  return { text, values };
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
