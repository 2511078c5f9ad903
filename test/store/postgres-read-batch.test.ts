import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CapstanError } from '../../src/errors/catalog.ts';
import { submitted, T0 } from '../support/store-fixtures.ts';
import { openPostgresStores } from '../support/test-stores.ts';

// Point reads issued in one turn share one `= ANY(ids)` statement on PostgreSQL. One id the
// database refuses (a NUL byte) must fail its own caller, with a 400, and nobody else.

test('one id with a NUL byte in a coalesced read fails alone, as invalid_request', async (t) => {
  const { store } = await openPostgresStores(t, { nowMs: () => T0 });
  await submitted(store, 'good-1');
  await submitted(store, 'good-2');
  const [one, bad, two, missing] = await Promise.allSettled([
    store.getExecution('default', 'good-1'),
    store.getExecution('default', 'bad\u0000id'),
    store.getExecution('default', 'good-2'),
    store.getExecution('default', 'no-such-id'),
  ]);
  assert.equal(one.status === 'fulfilled' && one.value?.executionId, 'good-1');
  assert.equal(two.status === 'fulfilled' && two.value?.executionId, 'good-2');
  assert.deepEqual(missing, { status: 'fulfilled', value: undefined });
  assert.equal(bad.status, 'rejected');
  const error: unknown = bad.status === 'rejected' ? bad.reason : undefined;
  assert.ok(error instanceof CapstanError, `a CapstanError, not ${String(error)}`);
  assert.equal(error.code, 'invalid_request');
  assert.equal(error.status, 400);

  const interactions = await Promise.allSettled([
    store.findInteraction('default', { interactionId: 'i-\u0000' }),
    store.findInteraction('default', { interactionId: 'i-none' }),
  ]);
  assert.deepEqual(interactions[1], { status: 'fulfilled', value: undefined });
  assert.equal(interactions[0].status, 'rejected');
});
