import type { Pool, PoolClient } from 'pg';
import { CommitObservers } from '../commit-observers.ts';
import { asStoreError, wentStale } from './unavailable.ts';

/**
 * Commands of one kind that run together: every one of a batch in one statement (multi-row,
 * one guard per row), each with the outcome it would have had alone. `runAll` returns one
 * result per input, in order. A guard that did not match is a result, not an error; `runAll`
 * throws only when some command fails, which then fails alone when the batch is run again
 * command by command.
 */
export interface CommandKind<I, O> {
  readonly runAll: (db: PoolClient, inputs: readonly I[]) => Promise<O[]>;
}

interface QueuedCommand {
  /** Runs this command alone. */
  readonly run: (db: PoolClient) => Promise<unknown>;
  /** Set for a command that may run together with the batch's others of its kind. */
  readonly kind: CommandKind<unknown, unknown> | undefined;
  readonly input: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Times it was run again because a prepared statement had gone stale under it. */
  staleRuns: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A command that lost a deadlock is retried this many times inside its savepoint. */
const DEADLOCK_RETRIES = 3;
const DEADLOCK_DETECTED = '40P01';

/**
 * Group commit for PostgreSQL. Commands issued in the same turn of the event loop share one
 * transaction on one pooled client; promises resolve only after COMMIT has returned. Batches
 * flushed in later turns may run concurrently on other pooled clients; row locks and the
 * guards order them. Commands of one batch were issued concurrently, so none waits for
 * another: they may run in any order.
 *
 * A batch first runs its commands back to back, with no savepoint, and the commands of one
 * `CommandKind` together as one statement: round trips, not rows, are what a batch costs.
 * When anything throws, the transaction may be aborted or hold a command's half-done writes,
 * so the whole batch is rolled back (nothing of it was committed or acknowledged) and run
 * again, each command alone in a SAVEPOINT of its own: a failing command is then rolled back
 * and reported alone, and the others commit. Commands only read and write the database, so
 * running one twice before a COMMIT has the effect of running it once.
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
  /**
   * Batches rolled back and run again in savepoints because a command threw. Every command of
   * such a batch runs twice, so a command that throws on a race it could have waited out
   * (rather than on bad input) costs its whole batch: tests hold the guards to zero here.
   */
  reruns = 0;
  /** Told each transaction's duration and size (the metrics' commit histograms). */
  readonly observers = new CommitObservers();

  constructor(pool: Pool, maxBatch = 1000) {
    this.#pool = pool;
    this.#maxBatch = maxBatch;
  }

  run<T>(command: (db: PoolClient) => Promise<T>): Promise<T> {
    return this.#enqueue(command, undefined, undefined);
  }

  /** Runs a command of `kind`, together with the others of its kind in the same batch. */
  runAs<I, O>(kind: CommandKind<I, O>, input: I): Promise<O> {
    const alone = async (db: PoolClient): Promise<O> => {
      const [result] = await kind.runAll(db, [input]);
      return result as O;
    };
    return this.#enqueue(alone, kind as CommandKind<unknown, unknown>, input);
  }

  #enqueue<T>(
    run: (db: PoolClient) => Promise<T>,
    kind: CommandKind<unknown, unknown> | undefined,
    input: unknown,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        run,
        kind,
        input,
        resolve: resolve as (value: unknown) => void,
        reject,
        staleRuns: 0,
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
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
    const startedAt = this.observers.start();
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      for (const command of batch) command.reject(asStoreError(error));
      return;
    }
    let outcomes: Outcome[] | undefined;
    let broken: unknown;
    try {
      outcomes = await runTogether(client, batch);
      if (outcomes === undefined) {
        this.reruns += 1;
        outcomes = await runInSavepoints(client, batch);
      }
      await client.query('COMMIT');
      this.commits += 1;
      this.observers.committed(startedAt, batch.length);
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      // A client whose transaction failed outside any command is discarded, not reused; so is
      // one where a command failed, which may hold a prepared statement gone stale (a
      // migration changed its result columns), as `pg.Pool` discards a client a read failed on.
      const failed = outcomes?.some((outcome) => !outcome.ok) ?? false;
      client.release(broken === undefined && !failed ? undefined : true);
    }
    if (broken !== undefined || outcomes === undefined) {
      // The outcome of a COMMIT cut off mid-way is unknown: report it unacknowledged, never as done.
      for (const command of batch) command.reject(asStoreError(broken));
      return;
    }
    batch.forEach((command, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) command.resolve(outcome.value);
      else if (this.#mayRunAgain(command, outcome?.error)) {
        // Rolled back in its savepoint, its connection discarded: it runs in a later batch on another.
        command.staleRuns += 1;
        this.#queue.push(command);
        this.#schedule();
      } else command.reject(outcome?.error);
    });
  }

  /**
   * A command that failed only because a prepared statement went stale under it (another node
   * applied an additive migration) runs again, at most once per pooled connection: each stale
   * connection is discarded after its batch, so the caller never sees the migration.
   */
  #mayRunAgain(command: QueuedCommand, error: unknown): boolean {
    return !this.#closed && wentStale(error) && command.staleRuns < this.#pool.options.max;
  }
}

/**
 * Opens the batch's transaction and runs it without savepoints: each command alone, or with
 * the batch's others of its kind at the place of the first of them. Returns the outcomes,
 * ready to commit; or `undefined` once anything threw, after rolling the transaction back.
 * Throws when the connection fails (the batch is then unacknowledged).
 */
async function runTogether(client: PoolClient, batch: QueuedCommand[]): Promise<Outcome[] | undefined> {
  await client.query('BEGIN');
  const values = new Map<QueuedCommand, unknown>();
  try {
    for (const command of batch) {
      if (values.has(command)) continue;
      if (!command.kind) {
        values.set(command, await command.run(client));
        continue;
      }
      const kind = command.kind;
      const same = batch.filter((other) => other.kind === kind);
      const results = await kind.runAll(
        client,
        same.map((c) => c.input),
      );
      same.forEach((c, i) => values.set(c, results[i]));
    }
  } catch {
    await client.query('ROLLBACK');
    return undefined;
  }
  return batch.map((command) => ({ ok: true, value: values.get(command) }));
}

/** Opens the batch's transaction again and runs each command alone, in a savepoint of its own. */
async function runInSavepoints(client: PoolClient, batch: QueuedCommand[]): Promise<Outcome[]> {
  await client.query('BEGIN');
  const outcomes: Outcome[] = [];
  for (const command of batch) outcomes.push(await runInSavepoint(client, command));
  return outcomes;
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
