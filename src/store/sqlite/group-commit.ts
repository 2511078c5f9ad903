import { CommitObservers } from '../commit-observers.ts';
import type { SqliteConnection } from './sqlite-driver.ts';

interface QueuedCommand {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite. Commands issued in the same turn of the event loop share one
 * transaction, hence one fsync. Each command runs inside its own SAVEPOINT, so a command that
 * throws is rolled back alone and reported alone; the others still commit. Promises resolve
 * only after COMMIT has returned: that is when a request may be acknowledged.
 */
export class SqliteGroupCommit {
  readonly #db: SqliteConnection;
  readonly #maxBatch: number;
  #queue: QueuedCommand[] = [];
  #scheduled = false;
  #closed = false;
  /** Transactions committed so far: what the benchmark divides by executions. */
  commits = 0;
  /** Told each transaction's duration and size (the metrics' commit histograms). */
  readonly observers = new CommitObservers();

  constructor(db: SqliteConnection, maxBatch = 1000) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  run<T>(command: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: command, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits whatever is queued now; used before close. */
  flushNow(): void {
    this.#flush();
  }

  close(): void {
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#commit(batch);
    }
  }

  #commit(batch: QueuedCommand[]): void {
    const db = this.#db;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const startedAt = this.observers.start();
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const command of batch) {
        db.exec('SAVEPOINT command');
        try {
          outcomes.push({ ok: true, value: command.run() });
          db.exec('RELEASE command');
        } catch (error) {
          db.exec('ROLLBACK TO command');
          db.exec('RELEASE command');
          outcomes.push({ ok: false, error });
        }
      }
      db.exec('COMMIT');
      this.commits += 1;
      this.observers.committed(startedAt, batch.length);
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const command of batch) command.reject(error);
      return;
    }
    batch.forEach((command, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) command.resolve(outcome.value);
      else command.reject(outcome?.error);
    });
  }
}
