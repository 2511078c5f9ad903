import { createRequire } from 'node:module';

/** One prepared statement; named parameters are bound from an object's keys (`@name`). */
export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** `changes` is a number: neither driver is asked to return BigInts. */
  run(...params: unknown[]): { changes: number };
}

/** The little of a SQLite connection the store uses, so it can run on either driver. */
export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  readonly inTransaction: boolean;
  /**
   * A consistent copy of the database in `file`, taken while this connection keeps serving:
   * better-sqlite3's online backup API, or `VACUUM INTO` on node:sqlite (which has no backup call
   * before Node 22.16). Only this connection can read a database opened `locking_mode=EXCLUSIVE`.
   */
  backup(file: string): Promise<void>;
  close(): void;
}

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

interface NodeSqliteStatement extends SqliteStatement {
  setAllowUnknownNamedParameters?(enabled: boolean): void;
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  readonly isTransaction: boolean;
  close(): void;
}
type NodeSqliteModule = { DatabaseSync: new (path: string) => NodeSqliteDatabase };

interface BetterSqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  readonly inTransaction: boolean;
  backup(file: string): Promise<unknown>;
  close(): void;
}
type BetterSqliteConstructor = new (path: string, options: { timeout: number }) => BetterSqliteDatabase;

const require = createRequire(import.meta.url);

/**
 * Which driver runs SQLite here. better-sqlite3 12 is the mature choice on Node 20 and 22,
 * but it aborts the process at teardown on Node 24 (its statements outlive the environment),
 * and better-sqlite3 13, which fixes that, does not run on Node 20. Node's built-in
 * `node:sqlite` needs no native build and runs on Node 24, so it is the default there, and
 * the fallback wherever the optional better-sqlite3 could not be built.
 * `CAPSTAN_SQLITE_DRIVER` overrides the choice.
 */
export function chooseSqliteDriver(env: NodeJS.ProcessEnv = process.env): SqliteDriverName {
  const requested = env.CAPSTAN_SQLITE_DRIVER;
  if (requested === 'better-sqlite3' || requested === 'node:sqlite') return requested;
  if (requested)
    throw new Error(`CAPSTAN_SQLITE_DRIVER must be better-sqlite3 or node:sqlite, not '${requested}'`);
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 24 && loadNodeSqlite()) return 'node:sqlite';
  // better-sqlite3 is optional: where it could not be built, a Node that has node:sqlite uses it.
  if (!loadBetterSqlite() && loadNodeSqlite()) return 'node:sqlite';
  return 'better-sqlite3';
}

function loadBetterSqlite(): BetterSqliteConstructor | undefined {
  try {
    return require('better-sqlite3') as BetterSqliteConstructor;
  } catch {
    return undefined;
  }
}

function loadNodeSqlite(): NodeSqliteModule | undefined {
  try {
    return process.getBuiltinModule('node:sqlite') as NodeSqliteModule | undefined;
  } catch {
    return undefined;
  }
}

/** Opens a SQLite file with the chosen driver; the busy timeout starts at 0 (callers set it). */
export function openSqlite(file: string, driver: SqliteDriverName = chooseSqliteDriver()): SqliteConnection {
  if (driver === 'node:sqlite') {
    const sqlite = loadNodeSqlite();
    if (!sqlite)
      throw new Error(`node:sqlite is not available in Node ${process.versions.node}; use better-sqlite3`);
    const db = new sqlite.DatabaseSync(file);
    return {
      driver,
      prepare(sql) {
        const statement = db.prepare(sql);
        // Commands pass their whole parameter object; keys the SQL does not name are not bound.
        statement.setAllowUnknownNamedParameters?.(true);
        return statement;
      },
      exec: (sql) => db.exec(sql),
      get inTransaction() {
        return db.isTransaction;
      },
      backup: async (file) => {
        db.prepare('VACUUM INTO ?').run(file);
      },
      close: () => db.close(),
    };
  }
  const Database = loadBetterSqlite();
  if (!Database) {
    throw new Error(
      'better-sqlite3 could not be loaded: run npm install where a C++ toolchain is available, ' +
        'or use Node 22.13+ or 24, whose built-in node:sqlite needs none',
    );
  }
  const db = new Database(file, { timeout: 0 });
  return {
    driver,
    prepare: (sql) => db.prepare(sql),
    exec: (sql) => db.exec(sql),
    get inTransaction() {
      return db.inTransaction;
    },
    backup: async (file) => {
      await db.backup(file);
    },
    close: () => db.close(),
  };
}

/** The first column of a one-row query such as `PRAGMA synchronous`. */
export function scalar(connection: SqliteConnection, sql: string): unknown {
  const row = connection.prepare(sql).get() as Record<string, unknown> | undefined;
  return row === undefined ? undefined : Object.values(row)[0];
}

/** SQLite's primary result codes for a database another connection holds (`SQLITE_BUSY`, `SQLITE_LOCKED`). */
const BUSY_OR_LOCKED = new Set([5, 6]);

/**
 * True when SQLite refused because another connection holds the database, by the driver's
 * result code rather than its message: better-sqlite3 names it (`SQLITE_BUSY`, or an extended
 * `SQLITE_BUSY_…`), node:sqlite numbers it (`errcode`, extended codes in the high bits).
 */
export function isBusyOrLocked(error: unknown): boolean {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown };
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) return true;
  return typeof errcode === 'number' && BUSY_OR_LOCKED.has(errcode & 0xff);
}
