// Retention on PostgreSQL, where other nodes write beside the purge: a batch never waits for a
// row another transaction holds, and costs the same few statements however many it deletes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import type { Store } from '../../src/store/store-port.ts';
import { get, leader, submitted, T0 } from '../support/store-fixtures.ts';
import { openPostgresStores } from '../support/test-stores.ts';

async function expiredExecutions(store: Store, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await submitted(store, id);
    const outcome = await store.cancel({
      tenantId: 'default',
      executionId: id,
      reason: 't',
      nowMs: T0 + 1,
      expiresAtMs: T0 + 10,
    });
    assert.equal(outcome.kind, 'cancelled');
  }
}

test('a purge skips a row another transaction holds instead of waiting for it', async (t) => {
  const db = await openPostgresStores(t);
  const { store } = db;
  const fence = await leader(store);
  await expiredExecutions(store, ['held', 'free']);
  const other = new pg.Client({ connectionString: db.url, options: `-c search_path=${db.schema}` });
  await other.connect();
  t.after(() => other.end());
  await other.query('BEGIN');
  await other.query(`SELECT 1 FROM executions WHERE execution_id = 'held' FOR UPDATE`);

  // Were it to wait for the lock, this would hang until the other transaction ends.
  assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 100, limit: 10 }), 1);
  assert.equal(await get(store, 'free'), undefined);
  assert.ok(await get(store, 'held'), 'the held one is left for a later batch');

  await other.query('COMMIT');
  assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 100, limit: 10 }), 1);
  assert.equal(await get(store, 'held'), undefined);
});

test('a purge batch costs the same statements for one execution as for fifty', async (t) => {
  const { store } = await openPostgresStores(t);
  const fence = await leader(store);
  const statementsOfBatch = async (n: number, prefix: string): Promise<number> => {
    await expiredExecutions(
      store,
      Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
    );
    const before = store.statements;
    assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 100, limit: 100 }), n);
    return store.statements - before;
  };
  const one = await statementsOfBatch(1, 'one');
  const fifty = await statementsOfBatch(50, 'fifty');
  assert.equal(fifty, one, `one execution: ${one} statements, fifty: ${fifty}`);
});
