import type { Database, Statement } from 'better-sqlite3';

/** Prepared statements, compiled once per connection and reused on the hot path. */
export class Statements {
  readonly db: Database;
  readonly #cache = new Map<string, Statement>();

  constructor(db: Database) {
    this.db = db;
  }

  get(sql: string): Statement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
