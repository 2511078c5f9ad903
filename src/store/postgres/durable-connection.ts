import type { ClientBase } from 'pg';
import { StoreNotDurableError } from '../store-not-durable.ts';

export { StoreNotDurableError };

/**
 * The connection options every store connection starts with: the schema, and
 * `synchronous_commit=on` whatever the database or role default is (`ALTER DATABASE … SET
 * synchronous_commit = off` would let a crash lose acknowledged writes). An `options` the URL
 * carries is kept, ahead of these, so it cannot undo them (the later `-c` wins).
 */
export function connectionConfig(
  connectionString: string,
  schema: string,
): { connectionString: string; options: string } {
  const ours = `-c search_path=${schema} -c synchronous_commit=on`;
  const url = new URL(connectionString);
  const own = url.searchParams.get('options');
  // The URL's `options` would replace the store's (pg reads the URL last): move it in front.
  if (own === null) return { connectionString, options: ours };
  url.searchParams.delete('options');
  return { connectionString: url.toString(), options: `${own} ${ours}` };
}

/** Refuses a connection on which commits are not synchronous (see `StoreNotDurableError`). */
export async function assertSynchronousCommit(client: ClientBase): Promise<void> {
  const { rows } = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  const reported = rows[0]?.synchronous_commit ?? 'unknown';
  if (reported !== 'on') throw new StoreNotDurableError(reported);
}
