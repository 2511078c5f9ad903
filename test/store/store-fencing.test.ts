import assert from 'node:assert/strict';
import { parkedFor } from '../../src/domain/parking.ts';
import {
  claim,
  claimOne,
  get,
  journalTypes,
  leader,
  LEASE_MS,
  submitCommand,
  submitted,
  T0,
} from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

forEachStore(
  'claimDue moves QUEUED to RUNNING, bumps the epoch and journals attempt_started',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const before = await submitted(store, 'x1');
    assert.equal(before.leaseEpoch, 0);
    const { execution, input } = await claimOne(store);
    assert.equal(execution.status, 'RUNNING');
    assert.equal(execution.leaseEpoch, 1);
    assert.equal(execution.leaseOwner, 'node-a');
    assert.equal(execution.leaseExpiresAtMs, T0 + LEASE_MS);
    assert.equal(execution.nextDueAtMs, null);
    assert.equal(execution.version, 2);
    assert.deepEqual(input, { id: 'x1' });
    const journal = await store.readJournal('x1', 0, 100);
    assert.deepEqual(
      journal.map((e) => [e.seq, e.type]),
      [
        [1, 'submitted'],
        [2, 'attempt_started'],
      ],
    );
    assert.equal(journal[1]?.data.leaseEpoch, 1);
    assert.equal(journal[1]?.data.leaseOwner, 'node-a');
    const again = await claim(store, { owner: 'b' });
    assert.deepEqual(again, [], 'a RUNNING execution is not claimed again');
  },
);

forEachStore(
  'checkpoint, succeed and fail under a stale epoch are refused and write nothing',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    await submitted(store, 'x1');
    await claimOne(store);
    const before = await get(store, 'x1');
    const stale = { executionId: 'x1', leaseEpoch: 0, stepIndex: 0, nowMs: T0 + 1 };
    assert.equal(await store.checkpointStep({ ...stale, output: { a: 1 } }), false);
    assert.equal(await store.succeed({ ...stale, result: { done: true }, expiresAtMs: T0 + 9 }), false);
    const publication = { topic: 'dlq', payload: { executionId: 'x1' } };
    const failure = { errorCode: 'boom', errorMessage: 'boom' };
    const dlq = { kind: 'dlq', reason: 'non_retryable' } as const;
    assert.equal(
      await store.fail({ ...stale, failure, decision: dlq, publication, expiresAtMs: T0 + 9 }),
      false,
    );
    // The right epoch at the wrong step is refused as well.
    assert.equal(await store.checkpointStep({ ...stale, leaseEpoch: 1, stepIndex: 3, output: 1 }), false);
    assert.deepEqual(await journalTypes(store, 'x1'), ['submitted', 'attempt_started']);
    assert.deepEqual(await get(store, 'x1'), before);
    assert.equal(await store.getStepOutput('x1', 0), undefined);
    assert.deepEqual(await store.readOutbox(10), []);

    // The current epoch still writes, and its publication reaches the outbox once.
    const current = { ...stale, leaseEpoch: 1 };
    assert.equal(
      await store.fail({ ...current, failure, decision: dlq, publication, expiresAtMs: T0 + 9 }),
      true,
    );
    const outbox = await store.readOutbox(10);
    assert.deepEqual(
      outbox.map((m) => [m.topic, m.payload, typeof m.id]),
      [['dlq', { executionId: 'x1' }, 'number']],
    );
    await store.markOutboxDelivered(
      outbox.map((m) => m.id),
      T0 + 2,
    );
    assert.deepEqual(await store.readOutbox(10), [], 'a delivered message is not read again');
  },
);

forEachStore('an expired lease is reclaimed to WAIT_RETRY; a renewed one is not', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const fence = await leader(store);
  await submitted(store, 'lost');
  await submitted(store, 'renewed');
  const claimed = await claim(store);
  assert.equal(claimed.length, 2);
  assert.deepEqual(await store.findExpiredLeases(T0 + LEASE_MS - 1, 10), []);
  assert.equal(await store.renewLeases([{ executionId: 'renewed', leaseEpoch: 1 }], T0 + 5 * LEASE_MS), 1);
  assert.equal(await store.renewLeases([{ executionId: 'renewed', leaseEpoch: 7 }], T0 + 9 * LEASE_MS), 0);
  const expired = await store.findExpiredLeases(T0 + LEASE_MS, 10);
  assert.deepEqual(
    expired.map((l) => [l.executionId, l.leaseEpoch]),
    [['lost', 1]],
  );

  const nowMs = T0 + LEASE_MS + 10;
  const reclaim = (executionId: string, o: { asOfMs?: number; leaseEpoch?: number } = {}) =>
    store.reclaimLease({
      executionId,
      leaseEpoch: o.leaseEpoch ?? 1,
      stepIndex: 0,
      attempt: 0,
      leader: fence,
      asOfMs: o.asOfMs ?? T0 + LEASE_MS,
      decision: { kind: 'retry', attempt: 1, dueAtMs: nowMs + 500 },
      publication: undefined,
      nowMs,
      expiresAtMs: nowMs + 1e6,
    });
  assert.equal(await reclaim('renewed'), false, 'a renewal that got there first wins');
  const renewed = await get(store, 'renewed');
  assert.equal(renewed?.status, 'RUNNING');
  assert.equal(renewed?.leaseExpiresAtMs, T0 + 5 * LEASE_MS);
  assert.deepEqual(await journalTypes(store, 'renewed'), ['submitted', 'attempt_started']);

  assert.equal(await reclaim('lost', { asOfMs: T0 + LEASE_MS - 1 }), false, 'not yet expired as of asOfMs');
  assert.equal(await reclaim('lost', { leaseEpoch: 0 }), false, 'wrong epoch');
  assert.equal(await reclaim('lost'), true);
  assert.equal(await reclaim('lost'), false, 'reclaiming twice acts once');
  const lost = await get(store, 'lost');
  assert.equal(lost?.status, 'WAIT_RETRY');
  assert.equal(lost?.attempt, 1);
  assert.equal(lost?.errorCode, 'lease_expired');
  assert.equal(lost?.leaseOwner, null);
  assert.equal(lost?.nextDueAtMs, nowMs + 500);
  assert.deepEqual(await journalTypes(store, 'lost'), ['submitted', 'attempt_started', 'retry_scheduled']);
});

forEachStore('a second claim gets epoch + 1 and the old epoch can no longer commit', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await submitted(store, 'x1');
  const first = await claimOne(store, T0, 'node-a');
  await store.fail({
    executionId: 'x1',
    leaseEpoch: first.execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode: 'flaky', errorMessage: 'flaky' },
    decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 100 },
    publication: undefined,
    nowMs: T0,
    expiresAtMs: T0 + 1e6,
  });
  const early = await claim(store, { nowMs: T0 + 99 });
  assert.deepEqual(early, [], 'not due before nextDueAtMs');
  const second = await claimOne(store, T0 + 100, 'node-b');
  assert.equal(second.execution.leaseEpoch, first.execution.leaseEpoch + 1);
  assert.equal(second.execution.attempt, 1);
  const stale = { executionId: 'x1', leaseEpoch: first.execution.leaseEpoch, stepIndex: 0, nowMs: T0 + 101 };
  assert.equal(await store.checkpointStep({ ...stale, output: 'old' }), false);
  assert.equal(await store.checkpointStep({ ...stale, leaseEpoch: 2, output: 'new' }), true);
  assert.deepEqual(await store.getStepOutput('x1', 0), { output: 'new' });
  const after = await get(store, 'x1');
  assert.equal(after?.stepIndex, 1);
  assert.equal(after?.attempt, 0, 'a checkpoint resets the attempt counter');
});

forEachStore(
  'claimDue takes only executions of a route some worker runs, and parks the rest out of the due set',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    await submitted(store, 'on-r1');
    await submitted(store, 'on-r2', { releaseVersion: 'r2' });
    await submitted(store, 'other-tenant', { tenantId: 'tenant-b' });
    await submitted(store, 'other-pipeline', { pipelineId: 'q' });
    const none = await claim(store, { routes: [] });
    assert.deepEqual(none, []);
    const claimed = await claim(store);
    assert.deepEqual(
      claimed.map((c) => c.execution.executionId),
      ['on-r1'],
      'the same release string of another tenant or pipeline is not a route',
    );
    for (const id of ['on-r2', 'other-tenant', 'other-pipeline']) {
      const other = await store.getExecution(id === 'other-tenant' ? 'tenant-b' : 'default', id);
      assert.equal(other?.status, 'QUEUED');
      assert.equal(other?.leaseEpoch, 0);
      assert.deepEqual(parkedFor(other?.nextDueAtMs ?? null), { notBeforeMs: null }, `${id} is parked`);
      assert.deepEqual(await journalTypes(store, id), ['submitted'], 'parking is not journaled');
    }
    // A node with a worker for a parked execution's route claims it from the parked set.
    const later = await claim(store, {
      owner: 'node-b',
      routes: [{ tenantId: 'tenant-b', pipelineId: 'p', releaseVersion: 'r1' }],
    });
    assert.deepEqual(
      later.map((c) => c.execution.executionId),
      ['other-tenant'],
    );
  },
);

forEachStore(
  'submit with an existing key is a duplicate (same input) or a conflict (other input)',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const input = { id: 'x1', nested: { b: 2, a: [1, 'x', null] } };
    const created = await submitted(store, 'x1', { executionKey: 'k', input });
    assert.deepEqual(created.input, input, 'the input round-trips exactly');
    assert.equal(created.createdAtMs, T0);
    assert.equal(created.nextDueAtMs, T0);
    assert.equal(created.version, 1);
    assert.deepEqual(await get(store, 'x1'), created, 'what submit returns is what is stored');
    const duplicate = await store.submit(
      submitCommand('x2', { executionKey: 'k', inputFingerprint: 'fp-x1' }),
    );
    assert.equal(duplicate.kind, 'duplicate');
    assert.equal(duplicate.execution.executionId, created.executionId);
    const conflict = await store.submit(
      submitCommand('x3', { executionKey: 'k', inputFingerprint: 'other' }),
    );
    assert.equal(conflict.kind, 'conflict');
    assert.equal(conflict.execution.executionId, 'x1');
    assert.equal(await get(store, 'x2'), undefined);
    assert.equal(await get(store, 'x3'), undefined);
    assert.deepEqual(await journalTypes(store, 'x1'), ['submitted']);
    assert.deepEqual(await journalTypes(store, 'x2'), []);
    const otherPipeline = await store.submit(submitCommand('x4', { executionKey: 'k', pipelineId: 'q' }));
    assert.equal(otherPipeline.kind, 'created', 'keys are scoped per pipeline');
  },
);

forEachStore('group commit: commands issued in one turn share one transaction', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const commands = 50;
  const before = store.commits;
  const outcomes = await Promise.all(
    Array.from({ length: commands }, (_, i) => store.submit(submitCommand(`g${i}`))),
  );
  const used = store.commits - before;
  assert.ok(outcomes.every((o) => o.kind === 'created'));
  assert.ok(used >= 1 && used < commands, `${used} commits for ${commands} commands`);
  assert.equal(used, 1);
  for (let i = 0; i < commands; i++) assert.equal((await get(store, `g${i}`))?.status, 'QUEUED');
});

forEachStore('group commit: each command in a batch wins or loses on its own', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await submitted(store, 'a');
  await submitted(store, 'b');
  await submitted(store, 'c');
  await claim(store);
  const fence = (executionId: string, leaseEpoch: number) => ({
    executionId,
    leaseEpoch,
    stepIndex: 0,
    nowMs: T0,
  });
  const before = store.commits;
  const results = await Promise.allSettled([
    store.checkpointStep({ ...fence('a', 1), output: 'fresh' }),
    store.checkpointStep({ ...fence('b', 0), output: 'stale' }),
    // Throws after its UPDATE ran (a BigInt cannot be serialised): rolled back alone.
    store.checkpointStep({ ...fence('c', 1), output: { n: 1n } }),
    store.submit(submitCommand('d')),
  ]);
  assert.equal(store.commits - before, 1, 'one shared transaction');
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')).slice(0, 3), [
    true,
    false,
    'rejected',
  ]);
  assert.equal(results[3]?.status, 'fulfilled');
  assert.equal((await get(store, 'a'))?.stepIndex, 1);
  assert.deepEqual(await store.getStepOutput('a', 0), { output: 'fresh' });
  assert.equal((await get(store, 'b'))?.stepIndex, 0);
  const c = await get(store, 'c');
  assert.equal(c?.stepIndex, 0, 'the throwing command left no partial write');
  assert.equal(c?.version, 2);
  assert.deepEqual(await journalTypes(store, 'c'), ['submitted', 'attempt_started']);
  assert.equal((await get(store, 'd'))?.status, 'QUEUED');
});

forEachStore(
  'a reclaim decided on a step the holder has since checkpointed does not fail the next step',
  async (t, kind) => {
    const db = await openTestStore(t, kind, { nowMs: () => T0 });
    const { store } = db;
    const fence = await leader(store);
    await submitted(store, 'x1');
    const { execution } = await claimOne(store);
    const [lease] = await store.findExpiredLeases(T0 + LEASE_MS, 10);
    assert.ok(lease);
    assert.equal(lease.stepIndex, 0);
    // The stalled holder wakes up and checkpoints step 0 under its (still current) epoch,
    // through another node's handle on PostgreSQL (SQLite has one owner: the same handle).
    const holder = kind === 'postgres' ? await db.more() : store;
    const checkpointed = await holder.checkpointStep({
      executionId: 'x1',
      leaseEpoch: execution.leaseEpoch,
      stepIndex: 0,
      output: { done: 0 },
      nowMs: T0 + LEASE_MS + 1,
    });
    assert.equal(checkpointed, true);
    const nowMs = T0 + LEASE_MS + 10;
    // The decision was taken on step 0's exhausted budget: it must not land on step 1.
    const won = await store.reclaimLease({
      ...lease,
      leader: fence,
      asOfMs: T0 + LEASE_MS,
      decision: { kind: 'dlq', reason: 'lease_lost_exhausted' },
      publication: { topic: 'dlq', payload: { executionId: 'x1' } },
      nowMs,
      expiresAtMs: nowMs + 1e6,
    });
    assert.equal(won, false, 'the reclaim decided on step 0 does not apply to step 1');
    const after = await get(store, 'x1');
    assert.equal(after?.status, 'RUNNING');
    assert.equal(after?.stepIndex, 1);
    assert.deepEqual(await journalTypes(store, 'x1'), ['submitted', 'attempt_started', 'step_completed']);
    const [again] = await store.findExpiredLeases(T0 + LEASE_MS, 10);
    assert.deepEqual([again?.stepIndex, again?.attempt], [1, 0], 'the next pass decides on step 1');
  },
);
