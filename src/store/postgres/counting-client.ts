import pg from 'pg';
import type { StatementCounter } from '../statement-counter.ts';

/** `pg.Client` seen through one signature for all of `query`'s overloads. */
type AnyQueryClient = new (config?: string | pg.ClientConfig) => { query(...args: unknown[]): unknown };

/**
 * A `pg` client class that counts every statement it sends into `counter`, for the pool's
 * `Client` option: pooled reads (`pool.query` runs on a client too) and group-commit
 * transactions alike, `BEGIN` and `COMMIT` included. `pg` has no per-query event to listen to.
 */
export function countingClient(counter: StatementCounter): typeof pg.Client {
  class CountingClient extends (pg.Client as unknown as AnyQueryClient) {
    override query(...args: unknown[]): unknown {
      counter.count += 1;
      return super.query(...args);
    }
  }
  return CountingClient as unknown as typeof pg.Client;
}
