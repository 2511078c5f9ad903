// A segment's commit (`commitSegment`): its step outputs and its outcome in one transaction,
// under one fence, on both stores. It must write exactly what the commands it replaces wrote
// one by one (the journal is the execution's history, and projections are rebuilt from it),
// and, when the fence is lost, nothing at all.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { CommitSegmentCommand, Fence, SegmentOutcome, Store } from '../../src/store/store-port.ts';
import { claimOne, get, newInteraction, ROUTE, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore, type StoreKind, type TestStore } from '../support/test-stores.ts';

const NOW = T0 + 5;
const outputs = [
  { stepIndex: 0, output: { a: 1 } },
  { stepIndex: 1, output: null },
  { stepIndex: 2, output: [2, 'two'] },
];

/** The outcomes a segment can end with, each at step 3 (after `outputs`). */
const outcomes: Record<string, SegmentOutcome> = {
  succeeded: { kind: 'succeed', stepIndex: 3, result: { total: 3 }, expiresAtMs: T0 + 9_000 },
  suspended: { kind: 'suspend', stepIndex: 3, interaction: newInteraction('x') },
  'retry scheduled': {
    kind: 'fail',
    stepIndex: 3,
    failure: { errorCode: 'boom', errorMessage: 'it broke' },
    decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 500 },
    publication: undefined,
    expiresAtMs: T0 + 9_000,
  },
  'moved to the DLQ': {
    kind: 'fail',
    stepIndex: 3,
    failure: { errorCode: 'boom', errorMessage: 'it broke' },
    decision: { kind: 'dlq', reason: 'non_retryable' },
    publication: { topic: 'capstan.dlq', payload: { executionId: 'x' } },
    expiresAtMs: T0 + 9_000,
  },
};

async function running(store: Store, id = 'x'): Promise<Fence> {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  return { executionId: id, leaseEpoch: execution.leaseEpoch };
}

/** What the dispatcher committed before `commitSegment`: each output alone, then the outcome. */
async function oneByOne(store: Store, c: CommitSegmentCommand): Promise<void> {
  const { executionId, leaseEpoch, nowMs } = c;
  for (const { stepIndex, output } of c.outputs)
    assert.equal(await store.checkpointStep({ executionId, leaseEpoch, stepIndex, output, nowMs }), true);
  const fence = { executionId, leaseEpoch, nowMs };
  const o = c.outcome;
  const won =
    o.kind === 'succeed'
      ? await store.succeed({
          ...fence,
          stepIndex: o.stepIndex,
          result: o.result,
          expiresAtMs: o.expiresAtMs,
        })
      : o.kind === 'suspend'
        ? await store.suspend({ ...fence, stepIndex: o.stepIndex, interaction: o.interaction })
        : o.kind === 'expand'
          ? assert.fail('an expansion is committed by commitSegment only')
          : await store.fail({
            ...fence,
            stepIndex: o.stepIndex,
            failure: o.failure,
            decision: o.decision,
            publication: o.publication,
            expiresAtMs: o.expiresAtMs,
          });
  assert.equal(won, true);
}

/** Everything the stores keep that a segment's commit may write. */
const written = async (store: Store, id = 'x') => ({
  journal: await store.readJournal(id, 0, 1000),
  projections: await store.snapshotProjections(),
  outbox: await store.readOutbox(100),
});

async function twoStores(t: TestContext, kind: StoreKind): Promise<[TestStore, TestStore]> {
  return [(await openTestStore(t, kind)).store, (await openTestStore(t, kind)).store];
}

for (const [name, outcome] of Object.entries(outcomes)) {
  forEachStore(
    `a segment ${name} after its outputs writes what the commands one by one wrote, in one commit`,
    async (t, kind) => {
      const [alone, together] = await twoStores(t, kind);
      const command = { ...(await running(alone)), outputs, outcome, nowMs: NOW };
      await oneByOne(alone, command);
      assert.deepEqual(await running(together), { executionId: 'x', leaseEpoch: command.leaseEpoch });
      const before = together.commits;
      assert.equal(await together.commitSegment(command), true);
      assert.equal(together.commits - before, 1, 'the outputs and the outcome in one transaction');
      assert.deepEqual(await written(together), await written(alone));
      assert.deepEqual(await together.getStepOutputs('x', 3), outputs);
    },
  );
}

forEachStore('a segment with no outputs writes what its outcome command alone wrote', async (t, kind) => {
  const [alone, together] = await twoStores(t, kind);
  for (const outcome of Object.values(outcomes)) {
    const at0 = { ...outcome, stepIndex: 0 };
    const id = `x-${outcome.kind}-${outcome.kind === 'fail' ? outcome.decision.kind : ''}`;
    const command = { ...(await running(alone, id)), outputs: [], outcome: at0, nowMs: NOW };
    await oneByOne(alone, command);
    await running(together, id);
    assert.equal(await together.commitSegment(command), true);
    assert.deepEqual(await written(together, id), await written(alone, id));
  }
});

forEachStore('a segment under a lost fence writes nothing: no output, no event', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const fence = await running(store);
  const stale = { ...fence, leaseEpoch: fence.leaseEpoch - 1 };
  const before = await written(store);
  for (const outcome of Object.values(outcomes))
    assert.equal(await store.commitSegment({ ...stale, outputs, outcome, nowMs: NOW }), false);
  assert.deepEqual(await written(store), before);
  assert.deepEqual(await store.getStepOutputs('x', 10), []);
  // Another writer (here a cancel) took the execution from the holder: the same.
  const cancelled = await store.cancel({
    tenantId: 'default',
    executionId: 'x',
    reason: 'stop',
    nowMs: NOW,
    expiresAtMs: T0 + 9_000,
  });
  assert.equal(cancelled.kind, 'cancelled');
  const afterCancel = await written(store);
  const succeeded = outcomes.succeeded as SegmentOutcome;
  assert.equal(await store.commitSegment({ ...fence, outputs, outcome: succeeded, nowMs: NOW }), false);
  assert.deepEqual(await written(store), afterCancel);
  assert.equal((await get(store, 'x'))?.status, 'CANCELLED');
});

forEachStore('a segment whose steps are not consecutive is refused and writes nothing', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const fence = await running(store);
  const before = await written(store);
  const gap = [outputs[0], outputs[2]] as typeof outputs;
  const succeeded = outcomes.succeeded as SegmentOutcome;
  await assert.rejects(store.commitSegment({ ...fence, outputs: gap, outcome: succeeded, nowMs: NOW }));
  const early = { ...succeeded, stepIndex: 2 };
  await assert.rejects(store.commitSegment({ ...fence, outputs, outcome: early, nowMs: NOW }));
  assert.deepEqual(await written(store), before);
});

forEachStore(
  'segments committed together (one batch) each write what they would alone; a stale one nothing',
  async (t, kind) => {
    const [alone, together] = await twoStores(t, kind);
    const ends = Object.values(outcomes);
    const commands: CommitSegmentCommand[] = [];
    for (const [i, outcome] of ends.entries()) {
      // Segments of 0, 1, 2 and 3 outputs, so the batch's segments end after different writes.
      const id = `s${i}`;
      await submitted(alone, id);
      await submitted(together, id);
      const mine = outputs.slice(0, i);
      commands.push({
        executionId: id,
        leaseEpoch: 1,
        outputs: mine,
        outcome: { ...outcome, stepIndex: mine.length },
        nowMs: NOW,
      });
    }
    await submitted(together, 'stale');
    const claimed = async (store: Store) =>
      (await store.claimDue({ nowMs: T0, limit: 10, owner: 'a', leaseMs: 1000, routes: [ROUTE] })).segments;
    assert.equal((await claimed(alone)).length, ends.length);
    assert.equal((await claimed(together)).length, ends.length + 1);
    for (const c of commands) await oneByOne(alone, c);
    const stale = { ...commands[3], executionId: 'stale', leaseEpoch: 0 } as CommitSegmentCommand;
    const before = together.commits;
    const won = await Promise.all([...commands, stale].map((c) => together.commitSegment(c)));
    assert.deepEqual(won, [true, true, true, true, false]);
    assert.equal(together.commits - before, 1, 'issued together, committed together');
    for (const c of commands) {
      const id = c.executionId;
      assert.deepEqual(await together.readJournal(id, 0, 1000), await alone.readJournal(id, 0, 1000));
    }
    assert.deepEqual(await together.getStepOutputs('stale', 10), []);
    assert.deepEqual(
      (await together.readJournal('stale', 0, 1000)).map((e) => e.type),
      ['submitted', 'attempt_started'],
    );
    assert.deepEqual(await together.readOutbox(100), await alone.readOutbox(100));
    if ('batchReruns' in together) assert.equal(together.batchReruns, 0, 'no batch ran again');
  },
);

forEachStore('getStepOutputs reads the outputs below a step, in step order', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const fence = await running(store);
  for (const { stepIndex, output } of outputs)
    assert.equal(await store.checkpointStep({ ...fence, stepIndex, output, nowMs: NOW }), true);
  assert.deepEqual(await store.getStepOutputs('x', 0), []);
  assert.deepEqual(await store.getStepOutputs('x', 2), outputs.slice(0, 2));
  assert.deepEqual(await store.getStepOutputs('x', 99), outputs);
  assert.deepEqual(await store.getStepOutputs('nobody', 99), []);
});
