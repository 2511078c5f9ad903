import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openSqlite } from '../../src/store/sqlite/sqlite-driver.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store-port.ts';
import { postgresUrl } from './postgres-server.ts';

/** Every store the behavioural suites run on: one test body, once per kind. */
export const storeKinds = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof storeKinds)[number];

/** The port, plus the group-commit counter both implementations expose. */
export type TestStore = Store & { readonly commits: number };

export interface StoreOptions {
  /** The store's own clock (migration bookkeeping); commands carry their instants. */
  readonly nowMs?: () => number;
  /** False leaves the database empty, for tests of `migrate()` itself. Default true. */
  readonly migrate?: boolean;
}

/** A fresh database of one kind and the handles opened on it. */
export interface TestDatabase<S extends TestStore = TestStore> {
  readonly kind: StoreKind;
  readonly store: S;
  /**
   * Another handle on the same database: another node on PostgreSQL. A SQLite file has one
   * owner, so on SQLite this throws while an earlier handle is still open.
   */
  readonly more: () => Promise<S>;
  /**
   * Runs one statement straight on the database, behind the stores' backs (`?` placeholders).
   * On SQLite every handle must be closed first: the open store holds the file exclusively.
   */
  readonly execSql: (sql: string, params?: readonly unknown[]) => Promise<void>;
  /** The SQLite file; undefined on PostgreSQL. */
  readonly file?: string;
  /** Closes every handle, then deletes the file or drops the schema. Idempotent. */
  readonly dispose: () => Promise<void>;
}

export interface PostgresDatabase extends TestDatabase<PostgresStore> {
  readonly url: string;
  readonly schema: string;
}

/** A fresh, migrated store of `kind`, deleted (file or schema) when the test ends. */
export async function openTestStore(
  t: TestContext,
  kind: StoreKind,
  options: StoreOptions = {},
): Promise<TestDatabase> {
  const db = await createTestDatabase(kind, options);
  t.after(() => db.dispose());
  return db;
}

/** `openTestStore` on PostgreSQL, typed for tests of what only PostgresStore does. */
export async function openPostgresStores(
  t: TestContext,
  options: StoreOptions = {},
): Promise<PostgresDatabase> {
  const db = await createPostgresDatabase(options);
  t.after(() => db.dispose());
  return db;
}

/** Like `openTestStore`, but the caller disposes it (e.g. after stopping what uses the store). */
export function createTestDatabase(kind: StoreKind, options: StoreOptions = {}): Promise<TestDatabase> {
  return kind === 'sqlite' ? createSqliteDatabase(options) : createPostgresDatabase(options);
}

/** Registers `${name} [sqlite]` and `${name} [postgres]`, so the report shows each store. */
export function forEachStore(name: string, body: (t: TestContext, kind: StoreKind) => Promise<void>): void {
  for (const kind of storeKinds) test(`${name} [${kind}]`, (t) => body(t, kind));
}

async function createSqliteDatabase(options: StoreOptions): Promise<TestDatabase<SqliteStore>> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-test-'));
  const file = join(dir, 'capstan.db');
  const opened: SqliteStore[] = [];
  const more = async () => {
    const store = new SqliteStore({ file, ...(options.nowMs ? { nowMs: options.nowMs } : {}) });
    opened.push(store);
    if (options.migrate !== false) await store.migrate();
    return store;
  };
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= Promise.all(opened.map((s) => s.close())).then(() =>
      rmSync(dir, { recursive: true, force: true }),
    ));
  const execSql = async (sql: string, params: readonly unknown[] = []) => {
    const raw = openSqlite(file);
    try {
      raw.prepare(sql).run(...params);
    } finally {
      raw.close();
    }
  };
  const store = await more().catch(async (error: unknown) => {
    await dispose();
    throw error;
  });
  return { kind: 'sqlite', store, more, execSql, file, dispose };
}

async function createPostgresDatabase(options: StoreOptions): Promise<PostgresDatabase> {
  const url = await postgresUrl();
  // A schema of its own per test, so test files (and tests) can run in parallel.
  const schema = `capstan_test_${randomBytes(6).toString('hex')}`;
  const opened: PostgresStore[] = [];
  const more = async () => {
    const store = new PostgresStore({
      connectionString: url,
      schema,
      poolSize: 4,
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    });
    opened.push(store);
    if (options.migrate !== false) await store.migrate();
    return store;
  };
  const withClient = async (use: (client: pg.Client) => Promise<unknown>) => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await use(client);
    } finally {
      await client.end();
    }
  };
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= Promise.all(opened.map((s) => s.close())).then(() =>
      withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
    ));
  const execSql = (sql: string, params: readonly unknown[] = []) => {
    let n = 0;
    return withClient((client) =>
      client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      ),
    );
  };
  const store = await more().catch(async (error: unknown) => {
    await dispose();
    throw error;
  });
  return { kind: 'postgres', store, more, execSql, dispose, url, schema };
}
