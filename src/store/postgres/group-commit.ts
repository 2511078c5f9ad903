import type { Pool, PoolClient } from 'pg';
import { asStoreError } from './unavailable.ts';

interface QueuedCommand {
  readonly run: (db: PoolClient) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A command that lost a deadlock is retried this many times inside its savepoint. */
const DEADLOCK_RETRIES = 3;
const DEADLOCK_DETECTED = '40P01';

/**
 * Group commit for PostgreSQL. Commands issued in the same turn of the event loop share one
 * transaction on one pooled client. Each command runs inside its own SAVEPOINT, so a command
 * that throws is rolled back alone (its row locks too) and reported alone; the others still
 * commit. Promises resolve only after COMMIT has returned. Batches flushed in later turns may
 * run concurrently on other pooled clients; row locks and the guards order them.
 */
export class PgGroupCommit {
  readonly #pool: Pool;
  readonly #maxBatch: number;
  #queue: QueuedCommand[] = [];
  #scheduled = false;
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();
  /** Transactions committed so far. */
  commits = 0;

  constructor(pool: Pool, maxBatch = 1000) {
    this.#pool = pool;
    this.#maxBatch = maxBatch;
  }

  run<T>(command: (db: PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: command, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits what is queued, refuses new commands and waits for every batch in flight. */
  async close(): Promise<void> {
    this.#flush();
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      const done: Promise<void> = this.#commit(batch).finally(() => this.#inFlight.delete(done));
      this.#inFlight.add(done);
    }
  }

  async #commit(batch: QueuedCommand[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      for (const command of batch) command.reject(asStoreError(error));
      return;
    }
    const outcomes: Outcome[] = [];
    let broken: unknown;
    try {
      await client.query('BEGIN');
      for (const command of batch) outcomes.push(await runInSavepoint(client, command));
      await client.query('COMMIT');
      this.commits += 1;
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      // A client whose transaction failed outside any command is discarded, not reused.
      client.release(broken === undefined ? undefined : true);
    }
    if (broken !== undefined) {
      // The outcome of a COMMIT cut off mid-way is unknown: report it unacknowledged, never as done.
      for (const command of batch) command.reject(asStoreError(broken));
      return;
    }
    batch.forEach((command, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) command.resolve(outcome.value);
      else command.reject(outcome?.error);
    });
  }
}

async function runInSavepoint(client: PoolClient, command: QueuedCommand): Promise<Outcome> {
  for (let attempt = 0; ; attempt += 1) {
    await client.query('SAVEPOINT command');
    try {
      const value = await command.run(client);
      await client.query('RELEASE SAVEPOINT command');
      return { ok: true, value };
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT command');
      await client.query('RELEASE SAVEPOINT command');
      const code = (error as { code?: unknown }).code;
      if (code !== DEADLOCK_DETECTED || attempt >= DEADLOCK_RETRIES) return { ok: false, error };
    }
  }
}
