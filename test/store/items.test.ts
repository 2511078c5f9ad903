// Items (docs/items.md) on both stores: an expansion writes the children and parks the parent in
// one commit; every command that ends a child settles it with its parent (the test walks each
// and fails if one leaves `items_open` unchanged); the last one queues the parent at its
// aggregate once, whose claim reads the ordered outcomes; re-drive and cancel keep the counters.
import assert from 'node:assert/strict';
import type { ClaimedSegment, Fence, Store } from '../../src/store/store-port.ts';
import { claim, get, leader, LEASE_MS, newInteraction, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const AGGREGATE = 3;
const EXPIRES = T0 + 1e9;

/** Submits `p`, claims it and commits an expansion of `n` items at step 0 (items run steps 1-2). */
async function expanded(store: Store, n: number, id = 'p'): Promise<void> {
  await submitted(store, id);
  const [segment] = await claim(store);
  assert.ok(segment);
  const won = await store.commitSegment({
    executionId: id,
    leaseEpoch: segment.execution.leaseEpoch,
    outputs: [],
    outcome: {
      kind: 'expand',
      stepIndex: 0,
      items: Array.from({ length: n }, (_, i) => ({
        executionId: `${id}-c${i}`,
        input: { row: i },
        inputFingerprint: `f${i}`,
      })),
      endStepIndex: AGGREGATE,
      resumeStepIndex: AGGREGATE,
    },
    nowMs: T0 + 1,
  });
  assert.equal(won, true);
}

/** Claims one child by id (its claim also takes others due; they stay RUNNING under their own fence). */
async function claimChildren(store: Store, nowMs = T0 + 2): Promise<Map<string, ClaimedSegment>> {
  const claimed = await claim(store, { nowMs, limit: 100 });
  return new Map(claimed.map((s) => [s.execution.executionId, s]));
}

const fenceOf = (s: ClaimedSegment | undefined): Fence => {
  assert.ok(s, 'the child was claimed');
  return { executionId: s.execution.executionId, leaseEpoch: s.execution.leaseEpoch };
};

const itemsOpen = async (store: Store, id = 'p') => (await get(store, id))?.itemsOpen;

forEachStore('an expansion writes its items and parks the parent in one commit', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await expanded(store, 3);
  const parent = await get(store, 'p');
  assert.equal(parent?.status, 'WAITING_ITEMS');
  assert.deepEqual(
    [parent?.itemsTotal, parent?.itemsOpen, parent?.itemsFailed, parent?.stepIndex],
    [3, 3, 0, AGGREGATE],
  );
  const child = await get(store, 'p-c1');
  assert.equal(child?.status, 'QUEUED');
  assert.equal(child?.executionKey, 'key-p:item:1');
  assert.deepEqual(
    [child?.parentExecutionId, child?.itemIndex, child?.stepIndex, child?.endStepIndex],
    ['p', 1, 1, AGGREGATE],
  );
  assert.equal(child?.releaseVersion, 'r1');
  assert.deepEqual(child?.input, { row: 1 });
  const claimed = await claimChildren(store);
  assert.deepEqual(claimed.get('p-c2')?.input, { row: 2 }, 'a child starts with its item as input');
  const listed = await store.listExecutions('default', { parentExecutionId: 'p', limit: 10 });
  assert.deepEqual(listed.map((x) => x.executionId).sort(), ['p-c0', 'p-c1', 'p-c2']);
});

forEachStore('every terminal command of an item settles it with its parent', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const commands: Record<string, (s: Map<string, ClaimedSegment>, i: number) => Promise<boolean>> = {
    succeed: (s, i) =>
      store.succeed({
        ...fenceOf(s.get(`p-c${i}`)),
        stepIndex: 1,
        result: { ok: i },
        nowMs: T0 + 3,
        expiresAtMs: EXPIRES,
      }),
    'commitSegment (succeed)': (s, i) =>
      store.commitSegment({
        ...fenceOf(s.get(`p-c${i}`)),
        outputs: [{ stepIndex: 1, output: { mid: i } }],
        outcome: { kind: 'succeed', stepIndex: 2, result: { ok: i }, expiresAtMs: EXPIRES },
        nowMs: T0 + 3,
      }),
    'fail to the DLQ': (s, i) =>
      store.fail({
        ...fenceOf(s.get(`p-c${i}`)),
        stepIndex: 1,
        failure: { errorCode: 'bad_row', errorMessage: `row ${i}` },
        decision: { kind: 'dlq', reason: 'non_retryable' },
        publication: undefined,
        nowMs: T0 + 3,
        expiresAtMs: EXPIRES,
      }),
    'fail to FAILED': (s, i) =>
      store.fail({
        ...fenceOf(s.get(`p-c${i}`)),
        stepIndex: 1,
        failure: { errorCode: 'bad_row', errorMessage: `row ${i}` },
        decision: { kind: 'failed', reason: 'non_retryable' },
        publication: undefined,
        nowMs: T0 + 3,
        expiresAtMs: EXPIRES,
      }),
    'reclaimLease, exhausted': async (s, i) =>
      store.reclaimLease({
        ...fenceOf(s.get(`p-c${i}`)),
        stepIndex: 1,
        attempt: 0,
        leader: await leader(store),
        asOfMs: T0 + 2 + LEASE_MS,
        decision: { kind: 'dlq', reason: 'lease_lost_exhausted' },
        publication: undefined,
        nowMs: T0 + 2 + LEASE_MS,
        expiresAtMs: EXPIRES,
      }),
    timeOutInteraction: async (s, i) => {
      const id = `p-c${i}`;
      const parkedOk = await store.suspend({
        ...fenceOf(s.get(id)),
        stepIndex: 1,
        interaction: newInteraction(id, { deadlineAtMs: T0 + 10 }),
        nowMs: T0 + 3,
      });
      assert.equal(parkedOk, true);
      assert.equal(await itemsOpen(store), open, 'parking an item is not terminal');
      return store.timeOutInteraction({
        leader: await leader(store),
        interactionId: `i-${id}`,
        reason: 'await_timeout',
        terminalStatus: 'DLQ',
        publication: undefined,
        nowMs: T0 + 20,
        expiresAtMs: EXPIRES,
      });
    },
    cancel: async (_s, i) =>
      (
        await store.cancel({
          tenantId: 'default',
          executionId: `p-c${i}`,
          reason: 'test',
          nowMs: T0 + 3,
          expiresAtMs: EXPIRES,
        })
      ).kind === 'cancelled',
  };
  const names = Object.keys(commands);
  await expanded(store, names.length + 1);
  const segments = await claimChildren(store);
  let open = names.length + 1;
  let failed = 0;
  // A retry is not terminal: the count must not move.
  const retried = await store.fail({
    ...fenceOf(segments.get(`p-c${names.length}`)),
    stepIndex: 1,
    failure: { errorCode: 'flaky', errorMessage: 'again' },
    decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 5 },
    publication: undefined,
    nowMs: T0 + 3,
    expiresAtMs: EXPIRES,
  });
  assert.equal(retried, true);
  assert.equal(await itemsOpen(store), open, 'a retry leaves the item open');
  for (const [i, name] of names.entries()) {
    assert.equal(await commands[name]?.(segments, i), true, `${name} committed`);
    open -= 1;
    if (!name.startsWith('succeed') && !name.startsWith('commitSegment')) failed += 1;
    const parent = await get(store, 'p');
    assert.equal(parent?.itemsOpen, open, `${name} settled the item (items_open)`);
    assert.equal(parent?.itemsFailed, failed, `${name} counted the item's failure`);
    assert.equal(parent?.status, 'WAITING_ITEMS');
  }
  // The last item ends: the parent is queued at its aggregate, once, with the ordered outcomes.
  const [last] = await claim(store, { nowMs: T0 + 10 });
  assert.equal(last?.execution.executionId, `p-c${names.length}`);
  assert.equal(
    await store.succeed({
      ...fenceOf(last),
      stepIndex: 1,
      result: 'last',
      nowMs: T0 + 11,
      expiresAtMs: EXPIRES,
    }),
    true,
  );
  const parent = await get(store, 'p');
  assert.deepEqual([parent?.status, parent?.itemsOpen, parent?.itemsFailed], ['QUEUED', 0, failed]);
  const journal = (await store.readJournal('p', 0, 100)).map((e) => e.type);
  assert.deepEqual(
    journal.filter((type) => type === 'items_completed'),
    ['items_completed'],
  );
  const [aggregate] = await claim(store, { nowMs: T0 + 12 });
  assert.equal(aggregate?.execution.executionId, 'p');
  assert.equal(aggregate?.execution.stepIndex, AGGREGATE);
  const outcomes = aggregate?.input as { index: number; status: string }[];
  assert.deepEqual(
    outcomes.map((o) => [o.index, o.status]),
    [
      [0, 'SUCCEEDED'],
      [1, 'SUCCEEDED'],
      [2, 'DLQ'],
      [3, 'FAILED'],
      [4, 'DLQ'],
      [5, 'DLQ'],
      [6, 'CANCELLED'],
      [7, 'SUCCEEDED'],
    ],
  );
  assert.deepEqual(outcomes[1], { index: 1, status: 'SUCCEEDED', output: { ok: 1 } });
  assert.deepEqual(outcomes[2], { index: 2, status: 'DLQ', errorCode: 'bad_row', errorMessage: 'row 2' });
  // The journal rebuilds the same projection, counters included.
  const live = await store.snapshotProjections();
  await store.rebuildProjections();
  assert.deepEqual(await store.snapshotProjections(), live);
});

forEachStore(
  're-driving an item re-opens it while its parent waits, and is refused after',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await expanded(store, 2);
    const segments = await claimChildren(store);
    const dlq = (id: string) =>
      store.fail({
        ...fenceOf(segments.get(id)),
        stepIndex: 1,
        failure: { errorCode: 'bad_row', errorMessage: 'no' },
        decision: { kind: 'dlq', reason: 'non_retryable' },
        publication: undefined,
        nowMs: T0 + 3,
        expiresAtMs: EXPIRES,
      });
    assert.equal(await dlq('p-c0'), true);
    const redrive = (id: string) =>
      store.redrive({
        tenantId: 'default',
        executionId: id,
        expectedVersion: undefined,
        allowFailed: false,
        reason: 't',
        nowMs: T0 + 4,
      });
    assert.equal((await redrive('p-c0')).kind, 'redriven');
    assert.deepEqual([(await get(store, 'p'))?.itemsOpen, (await get(store, 'p'))?.itemsFailed], [2, 0]);
    assert.equal(await dlq('p-c1'), true);
    const again = await claimChildren(store, T0 + 5);
    assert.equal(
      await store.fail({
        ...fenceOf(again.get('p-c0')),
        stepIndex: 1,
        failure: { errorCode: 'bad_row', errorMessage: 'still no' },
        decision: { kind: 'dlq', reason: 'non_retryable' },
        publication: undefined,
        nowMs: T0 + 6,
        expiresAtMs: EXPIRES,
      }),
      true,
    );
    assert.equal((await get(store, 'p'))?.status, 'QUEUED', 'the aggregate was released');
    const refused = await redrive('p-c1');
    assert.equal(refused.kind, 'item_already_aggregated');
    assert.equal((await get(store, 'p-c1'))?.status, 'DLQ', 'nothing was written');
  },
);

forEachStore('cancelling a parent cancels its open items', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await expanded(store, 3);
  const segments = await claimChildren(store);
  assert.equal(
    await store.succeed({
      ...fenceOf(segments.get('p-c0')),
      stepIndex: 1,
      result: 1,
      nowMs: T0 + 3,
      expiresAtMs: EXPIRES,
    }),
    true,
  );
  const outcome = await store.cancel({
    tenantId: 'default',
    executionId: 'p',
    reason: 'stop',
    nowMs: T0 + 4,
    expiresAtMs: EXPIRES,
  });
  assert.equal(outcome.kind, 'cancelled');
  assert.deepEqual(
    await Promise.all(['p-c0', 'p-c1', 'p-c2'].map(async (id) => (await get(store, id))?.status)),
    ['SUCCEEDED', 'CANCELLED', 'CANCELLED'],
  );
  const parent = await get(store, 'p');
  assert.deepEqual([parent?.itemsOpen, parent?.itemsFailed], [0, 2]);
  // A running item's lease is fenced out: its late commit changes nothing.
  assert.equal(
    await store.succeed({
      ...fenceOf(segments.get('p-c1')),
      stepIndex: 1,
      result: 1,
      nowMs: T0 + 5,
      expiresAtMs: EXPIRES,
    }),
    false,
  );
  const live = await store.snapshotProjections();
  await store.rebuildProjections();
  assert.deepEqual(await store.snapshotProjections(), live);
});

forEachStore('items are purged with their parent, never before', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await expanded(store, 2);
  const segments = await claimChildren(store);
  for (const id of ['p-c0', 'p-c1'])
    assert.equal(
      await store.succeed({
        ...fenceOf(segments.get(id)),
        stepIndex: 1,
        result: id,
        nowMs: T0 + 3,
        expiresAtMs: T0 + 10,
      }),
      true,
    );
  const fence = await leader(store);
  assert.equal(await store.purgeExpired({ leader: fence, nowMs: T0 + 100, limit: 10 }), 0);
  assert.ok(await get(store, 'p-c0'), 'an item outlives its TTL while its parent lives');
  const [aggregate] = await claim(store, { nowMs: T0 + 100 });
  assert.ok(aggregate);
  assert.equal(
    await store.succeed({
      ...fenceOf(aggregate),
      stepIndex: AGGREGATE,
      result: 'done',
      nowMs: T0 + 101,
      expiresAtMs: T0 + 200,
    }),
    true,
  );
  assert.equal(
    await store.purgeExpired({ leader: fence, nowMs: T0 + 300, limit: 10 }),
    3,
    'the parent and its two items',
  );
  assert.equal(await get(store, 'p-c0'), undefined);
  assert.deepEqual(await store.readJournal('p-c1', 0, 10), []);
});

forEachStore('an expansion of 10,000 items commits in one transaction', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const before = store.commits;
  await expanded(store, 10_000);
  const parent = await get(store, 'p');
  assert.deepEqual(
    [parent?.status, parent?.itemsTotal, parent?.itemsOpen],
    ['WAITING_ITEMS', 10_000, 10_000],
  );
  // submit, claim, expansion: one commit each however many items.
  assert.equal(store.commits - before, 3);
  assert.deepEqual((await get(store, 'p-c9999'))?.input, { row: 9999 });
  assert.deepEqual(
    (await store.readJournal('p-c9999', 0, 10)).map((e) => [e.type, e.data.itemIndex]),
    [['submitted', 9999]],
  );
});
