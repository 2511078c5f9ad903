// The completion guard of await interactions on both stores: what a completion records (the
// interaction, the checkpoint, the journal), a closed interaction stays closed even past its
// deadline, and a completion whose execution is not parked on the interaction's unit writes
// nothing.
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store-port.ts';
import { complete, get, parked, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

forEachStore(
  'a completion records the response, key and actor, checkpoints it and journals it',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await parked(store, 'x');
    const outcome = await complete(store, 'x', 'fp-1', T0 + 5);
    assert.equal(outcome.kind, 'completed');
    const interaction = await store.findInteraction('default', { interactionId: 'i-x' });
    assert.equal(interaction?.status, 'COMPLETED');
    assert.deepEqual(interaction?.responsePayload, { approved: true, by: 'ann' });
    assert.equal(interaction?.responseFingerprint, 'fp-1');
    assert.equal(interaction?.completionKey, 'ck-fp-1');
    assert.equal(interaction?.actor, 'ann');
    assert.equal(interaction?.updatedAtMs, T0 + 5);

    assert.deepEqual(await store.getStepOutput('x', 0), { output: { approved: true, by: 'ann' } });
    const execution = await get(store, 'x');
    assert.equal(execution?.status, 'QUEUED');
    assert.equal(execution?.stepIndex, 1);
    assert.equal(execution?.nextDueAtMs, T0 + 5);
    const events = await store.readJournal('x', 0, 100);
    const last = events.at(-1);
    assert.deepEqual(last, {
      executionId: 'x',
      seq: execution?.version,
      type: 'interaction_completed',
      atMs: T0 + 5,
      data: {
        interactionId: 'i-x',
        stepIndex: 0,
        response: { approved: true, by: 'ann' },
        responseFingerprint: 'fp-1',
        completionKey: 'ck-fp-1',
        actor: 'ann',
      },
    });
  },
);

forEachStore('a cancelled execution’s interaction stays closed, also past its deadline', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await parked(store, 'x', { deadlineAtMs: T0 + 10 });
  const cancelled = await store.cancel({
    tenantId: 'default',
    executionId: 'x',
    reason: 'test',
    nowMs: T0 + 3,
    expiresAtMs: T0 + 1e9,
  });
  assert.equal(cancelled.kind, 'cancelled');
  const late = await complete(store, 'x', 'fp-1', T0 + 11);
  assert.equal(late.kind, 'closed', 'closed says more than "too late"');
  assert.equal((await complete(store, 'x', 'fp-1', T0 + 4)).kind, 'closed');
});

forEachStore(
  'an execution no longer parked on the unit: the completion fails and writes nothing',
  async (t, kind) => {
    const db = await openTestStore(t, kind);
    let store: Store = db.store;
    await parked(store, 'x');
    // The execution moved on behind the store's back (a damaged database).
    if (kind === 'sqlite') await store.close();
    await db.execSql("UPDATE executions SET await_unit_id = 'elsewhere' WHERE execution_id = ?", ['x']);
    if (kind === 'sqlite') store = await db.more();
    await assert.rejects(complete(store, 'x'), /execution x is not parked on await unit u-x/);
    const interaction = await store.findInteraction('default', { interactionId: 'i-x' });
    assert.equal(interaction?.status, 'WAITING', 'the completion rolled back');
    assert.equal((await get(store, 'x'))?.status, 'WAITING_EXTERNAL');
    assert.equal(await store.getStepOutput('x', 0), undefined);
  },
);
