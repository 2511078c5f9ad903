import type { SqliteConnection, SqliteStatement } from './sqlite-driver.ts';

/** Prepared statements, compiled once per connection and reused on the hot path. */
export class Statements {
  readonly db: SqliteConnection;
  readonly #cache = new Map<string, SqliteStatement>();

  constructor(db: SqliteConnection) {
    this.db = db;
  }

  get(sql: string): SqliteStatement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
