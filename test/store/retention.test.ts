// Retention on both stores (docs/retention.md): what is expired, bounded batches that take every
// row of an execution, a parent's items before the parent and never without it, candidates
// re-checked at purge time, delivered outbox pruned in bounded batches.
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store-port.ts';
import { claimOne, failedAtStepZero, get, leader, parked, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const cancelled = async (store: Store, id: string, expiresAtMs: number) => {
  const outcome = await store.cancel({
    tenantId: 'default',
    executionId: id,
    reason: 't',
    nowMs: T0 + 5,
    expiresAtMs,
  });
  assert.equal(outcome.kind, 'cancelled');
};

/** `id` expanded into `n` QUEUED items, then cancelled with them (all terminal, expiring at `expiresAtMs`). */
async function parentWithItems(store: Store, id: string, n: number, expiresAtMs: number): Promise<void> {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  const won = await store.commitSegment({
    executionId: id,
    leaseEpoch: execution.leaseEpoch,
    outputs: [],
    outcome: {
      kind: 'expand',
      stepIndex: 0,
      items: Array.from({ length: n }, (_, i) => ({
        executionId: `${id}-c${i}`,
        input: { row: i },
        inputFingerprint: `f${i}`,
      })),
      endStepIndex: 2,
      resumeStepIndex: 2,
    },
    nowMs: T0 + 1,
  });
  assert.equal(won, true);
  await cancelled(store, id, expiresAtMs);
}

const expiredIds = async (store: Store, nowMs: number, limit = 100) =>
  (await store.findExpired(nowMs, limit)).map((e) => e.executionId);

forEachStore('findExpired: top-level executions past their TTL, soonest first', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await parked(store, 'a');
  await cancelled(store, 'a', T0 + 20);
  await submitted(store, 'b');
  await cancelled(store, 'b', T0 + 10);
  await submitted(store, 'late');
  await cancelled(store, 'late', T0 + 1000);
  await parentWithItems(store, 'p', 3, T0 + 30);
  await submitted(store, 'live');

  assert.deepEqual(await expiredIds(store, T0 + 100), ['b', 'a', 'p'], 'no item, nothing live or later');
  assert.deepEqual(await expiredIds(store, T0 + 100, 2), ['b', 'a']);
  const [b] = await store.findExpired(T0 + 100, 1);
  assert.deepEqual(b, {
    tenantId: 'default',
    executionId: 'b',
    pipelineId: 'p',
    status: 'CANCELLED',
    version: (await get(store, 'b'))?.version,
    updatedAtMs: T0 + 5,
    expiresAtMs: T0 + 10,
  });
  assert.deepEqual(
    (await store.listItemIds('p', undefined, 2)).map((i) => [i.executionId, i.itemIndex]),
    [
      ['p-c0', 0],
      ['p-c1', 1],
    ],
  );
  assert.deepEqual(
    (await store.listItemIds('p', { itemIndex: 1, executionId: 'p-c1' }, 2)).map((i) => i.executionId),
    ['p-c2'],
  );
});

forEachStore(
  'a batch deletes at most its limit, each execution with every row of its own',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const fence = await leader(store);
    for (const id of ['a', 'b', 'c']) {
      await parked(store, id);
      await cancelled(store, id, T0 + 10 + id.charCodeAt(0));
    }
    await submitted(store, 'kept');
    const { execution } = await claimOne(store);
    assert.equal(
      await store.checkpointStep({
        executionId: 'kept',
        leaseEpoch: execution.leaseEpoch,
        stepIndex: 0,
        output: 1,
        nowMs: T0 + 2,
      }),
      true,
    );

    assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 1000, limit: 2 }), 2);
    for (const id of ['a', 'b']) {
      assert.equal(await get(store, id), undefined, `${id} is gone`);
      assert.deepEqual(await store.readJournal(id, 0, 10), [], `${id}: its journal too`);
      assert.equal(await store.findInteraction('default', { interactionId: `i-${id}` }), undefined);
    }
    assert.ok(await get(store, 'c'), 'the third waits for the next batch');
    assert.ok(await store.findInteraction('default', { interactionId: 'i-c' }));
    assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 1000, limit: 2 }), 1);
    assert.equal(await get(store, 'c'), undefined);
    assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 1000, limit: 2 }), 0);
    assert.deepEqual(
      await store.getStepOutput('kept', 0),
      { output: 1 },
      'a live execution keeps everything',
    );
    assert.equal((await store.readJournal('kept', 0, 10)).length, 3);
  },
);

forEachStore(
  'a parent with more items than a batch: items first, the parent last, none orphaned',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const fence = await leader(store);
    await parentWithItems(store, 'p', 7, T0 + 10);
    const remainingItems = async () =>
      (await store.listItemIds('p', undefined, 100)).map((i) => i.executionId);

    const batches: number[] = [];
    for (;;) {
      const purged = await store.purgeExpired({ leader: fence, nowMs: T0 + 100, limit: 3 });
      if (purged === 0) break;
      batches.push(purged);
      const items = await remainingItems();
      if (items.length > 0) assert.ok(await get(store, 'p'), 'the parent stays while any item does');
      for (const id of items) assert.equal((await get(store, id))?.parentExecutionId, 'p');
    }
    assert.deepEqual(batches, [3, 3, 2], 'seven items and their parent, three at a time');
    assert.equal(await get(store, 'p'), undefined);
    assert.deepEqual(await remainingItems(), []);
    assert.deepEqual(await store.readJournal('p-c6', 0, 10), []);
  },
);

forEachStore(
  'given candidates are checked again: one re-driven since it was found stays',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const fence = await leader(store);
    await failedAtStepZero(store, 'x', {
      decision: { kind: 'dlq', reason: 'non_retryable' },
      expiresAtMs: T0 + 10,
    });
    await submitted(store, 'y');
    await cancelled(store, 'y', T0 + 10);
    await submitted(store, 'z');
    await cancelled(store, 'z', T0 + 10);
    assert.deepEqual((await expiredIds(store, T0 + 100)).sort(), ['x', 'y', 'z']);
    const redriven = await store.redrive({
      tenantId: 'default',
      executionId: 'x',
      expectedVersion: undefined,
      allowFailed: false,
      reason: 'operator',
      nowMs: T0 + 50,
    });
    assert.equal(redriven.kind, 'redriven');

    const purged = await store.purgeExpired({
      leader: fence,
      nowMs: T0 + 100,
      limit: 10,
      executionIds: ['x', 'y'],
    });
    assert.equal(purged, 1, 'y only: x has no expiry any more, z was not given');
    assert.equal((await get(store, 'x'))?.status, 'QUEUED');
    assert.equal(await get(store, 'y'), undefined);
    assert.ok(await get(store, 'z'));
  },
);

forEachStore(
  'delivered outbox messages are pruned a bounded batch at a time, undelivered ones kept',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    for (const id of ['a', 'b', 'c', 'd'])
      await failedAtStepZero(store, id, {
        decision: { kind: 'dlq', reason: 'non_retryable' },
        publication: { topic: 'dlq', payload: { executionId: id } },
      });
    const claimed = await store.claimOutbox({ nowMs: T0 + 2, limit: 3, claimMs: 1000 });
    assert.equal(claimed.length, 3);
    await store.markOutboxDelivered(
      claimed.map((m) => m.id),
      T0 + 5,
    );
    assert.equal(await store.pruneDeliveredOutbox(T0 + 4, 10), 0, 'none delivered before the cut');
    assert.equal(await store.pruneDeliveredOutbox(T0 + 5, 2), 2);
    assert.equal(await store.pruneDeliveredOutbox(T0 + 5, 2), 1);
    assert.equal(await store.pruneDeliveredOutbox(T0 + 5, 2), 0);
    assert.equal((await store.readOutbox(10)).length, 1, 'the undelivered message stays');
  },
);
