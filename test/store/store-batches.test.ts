import assert from 'node:assert/strict';
import {
  claim,
  complete,
  get,
  journalTypes,
  newInteraction,
  parked,
  submitCommand,
  submitted,
  T0,
} from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// Commands issued in the same turn share a group-commit batch, where a store may run the
// commands of one kind together (PostgreSQL: one multi-row statement per kind). Each command
// must still get its own outcome: its own guard, its own duplicate or conflict, its own row.

forEachStore(
  'same-turn submits: created, duplicate and conflict of one key, each its own',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const outcomes = await Promise.all([
      store.submit(submitCommand('a')),
      store.submit(submitCommand('b')),
      store.submit(submitCommand('a2', { executionKey: 'key-a', inputFingerprint: 'fp-a' })),
      store.submit(submitCommand('a3', { executionKey: 'key-a', inputFingerprint: 'other' })),
    ]);
    assert.deepEqual(
      outcomes.map((o) => [o.kind, o.execution.executionId]),
      [
        ['created', 'a'],
        ['created', 'b'],
        ['duplicate', 'a'],
        ['conflict', 'a'],
      ],
    );
    assert.equal(await get(store, 'a2'), undefined);
    assert.deepEqual(await journalTypes(store, 'a'), ['submitted']);
    assert.deepEqual(await journalTypes(store, 'b'), ['submitted']);
  },
);

forEachStore('same-turn checkpoints and successes: a stale fence loses alone', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  for (const id of ['c1', 'c2', 's1', 's2']) await submitted(store, id);
  const claimed = await claim(store);
  const epoch = (id: string) =>
    claimed.find((c) => c.execution.executionId === id)?.execution.leaseEpoch ?? -1;
  const checkpoint = (id: string, leaseEpoch: number) =>
    store.checkpointStep({ executionId: id, leaseEpoch, stepIndex: 0, output: { id }, nowMs: T0 + 1 });
  const succeed = (id: string, leaseEpoch: number) =>
    store.succeed({
      executionId: id,
      leaseEpoch,
      stepIndex: 0,
      result: { id },
      nowMs: T0 + 1,
      expiresAtMs: T0 + 9,
    });
  const won = await Promise.all([
    checkpoint('c1', epoch('c1')),
    checkpoint('c2', epoch('c2') + 1),
    succeed('s1', epoch('s1') + 1),
    succeed('s2', epoch('s2')),
  ]);
  assert.deepEqual(won, [true, false, false, true]);
  assert.deepEqual(await store.getStepOutput('c1', 0), { output: { id: 'c1' } });
  assert.equal(await store.getStepOutput('c2', 0), undefined);
  assert.equal((await get(store, 'c2'))?.stepIndex, 0);
  assert.equal((await get(store, 's1'))?.status, 'RUNNING');
  assert.deepEqual((await get(store, 's2'))?.result, { id: 's2' });
  assert.deepEqual(await journalTypes(store, 'c1'), ['submitted', 'attempt_started', 'step_completed']);
  assert.deepEqual(await journalTypes(store, 'c2'), ['submitted', 'attempt_started']);
  assert.deepEqual(await journalTypes(store, 's2'), ['submitted', 'attempt_started', 'succeeded']);
});

forEachStore('same-turn suspends: each parks its own execution on its own interaction', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  for (const id of ['p1', 'p2', 'p3']) await submitted(store, id);
  const claimed = await claim(store);
  const won = await Promise.all(
    claimed.map((c, i) =>
      store.suspend({
        executionId: c.execution.executionId,
        leaseEpoch: c.execution.leaseEpoch + (i === 1 ? 1 : 0),
        stepIndex: 0,
        interaction: newInteraction(c.execution.executionId, { group: `g${i}` }),
        nowMs: T0 + 1,
      }),
    ),
  );
  assert.deepEqual(won, [true, false, true]);
  const [first, stale, third] = claimed.map((c) => c.execution.executionId);
  for (const [id, group] of [
    [first, 'g0'],
    [third, 'g2'],
  ] as const) {
    assert.equal((await get(store, id ?? ''))?.status, 'WAITING_EXTERNAL');
    const interaction = await store.findInteraction('default', { interactionId: `i-${id}` });
    assert.equal(interaction?.group, group);
    assert.deepEqual(interaction?.requestPayload, { ask: id });
  }
  assert.equal((await get(store, stale ?? ''))?.status, 'RUNNING');
  assert.equal(await store.findInteraction('default', { interactionId: `i-${stale}` }), undefined);
});

forEachStore(
  'same-turn completions: one interaction completes once; the others each get theirs',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    await parked(store, 'x1');
    await parked(store, 'x2');
    const outcomes = await Promise.all([
      complete(store, 'x1'),
      complete(store, 'x1'),
      complete(store, 'x1', 'other'),
      complete(store, 'x2'),
      complete(store, 'x3'),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['completed', 'duplicate', 'conflict', 'completed', 'not_found'],
    );
    for (const id of ['x1', 'x2']) {
      assert.equal((await get(store, id))?.status, 'QUEUED');
      assert.deepEqual(await store.getStepOutput(id, 0), { output: { approved: true, by: 'ann' } });
      assert.deepEqual(await journalTypes(store, id), [
        'submitted',
        'attempt_started',
        'suspended',
        'interaction_completed',
      ]);
    }
  },
);
