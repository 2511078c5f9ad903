import type { StatementCounter } from '../statement-counter.ts';
import type { SqliteConnection, SqliteStatement } from './sqlite-driver.ts';

/**
 * The connection, counting every statement it runs into `counter`: each `get`, `all` and
 * `run` of a prepared statement, and each `exec` (transaction control). One increment per
 * statement, nothing allocated: the hot path pays nothing it would notice.
 */
export function countingConnection(db: SqliteConnection, counter: StatementCounter): SqliteConnection {
  const counted = (statement: SqliteStatement): SqliteStatement => ({
    get: (...params) => {
      counter.count += 1;
      return statement.get(...params);
    },
    all: (...params) => {
      counter.count += 1;
      return statement.all(...params);
    },
    run: (...params) => {
      counter.count += 1;
      return statement.run(...params);
    },
  });
  return {
    driver: db.driver,
    prepare: (sql) => counted(db.prepare(sql)),
    exec: (sql) => {
      counter.count += 1;
      db.exec(sql);
    },
    get inTransaction() {
      return db.inTransaction;
    },
    backup: (file) => db.backup(file),
    close: () => db.close(),
  };
}
