// The claim guards on both stores: a claim with no routes or no room does nothing (parks nothing
// either), takes at most `limit`, parks only what no route covers, claims each execution once
// even when a route is named twice, wakes dispatch-parked executions only when their back-off
// has passed, and refuses to start a step whose checkpoint is missing.
import assert from 'node:assert/strict';
import { PARKED_DISPATCH_BASE, PARKED_NO_ROUTE } from '../../src/domain/parking.ts';
import type { Store } from '../../src/store/store-port.ts';
import { claim, claimOne, get, LEASE_MS, ROUTE, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const OTHER = { tenantId: 'default', pipelineId: 'other', releaseVersion: 'r1' };
const claimAt = (store: Store, o: Partial<Parameters<Store['claimDue']>[0]>) =>
  store.claimDue({ nowMs: T0, limit: 10, owner: 'node-a', leaseMs: LEASE_MS, routes: [ROUTE], ...o });

forEachStore('no routes, or no room: nothing claimed and nothing parked', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await submitted(store, 'mine');
  await submitted(store, 'theirs', { pipelineId: 'other' });
  assert.deepEqual(await claimAt(store, { routes: [] }), { segments: [], parked: 0 });
  assert.deepEqual(await claimAt(store, { limit: 0 }), { segments: [], parked: 0 });
  assert.deepEqual(await claimAt(store, { limit: -1 }), { segments: [], parked: 0 });
  for (const id of ['mine', 'theirs']) {
    const x = await get(store, id);
    assert.equal(x?.status, 'QUEUED');
    assert.equal(x?.nextDueAtMs, T0, `${id} is still due, not parked`);
  }
});

forEachStore('at most `limit` claimed; only what no route covers is parked', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  for (const id of ['a', 'b', 'c']) await submitted(store, id);
  await submitted(store, 'theirs', { pipelineId: 'other' });
  const outcome = await claimAt(store, { limit: 2 });
  assert.deepEqual(
    outcome.segments.map((s) => s.execution.executionId),
    ['a', 'b'],
    'two claimed, in due order',
  );
  assert.equal(outcome.parked, 1, 'only the unroutable one is parked');
  assert.equal((await get(store, 'theirs'))?.nextDueAtMs, PARKED_NO_ROUTE);
  const left = await get(store, 'c');
  assert.equal(left?.status, 'QUEUED');
  assert.equal(left?.nextDueAtMs, T0, 'the routable one left over stays due, not parked');
  assert.deepEqual(
    (await claim(store)).map((s) => s.execution.executionId),
    ['c'],
  );
});

forEachStore(
  'parked executions of a route are claimed first, at most `limit` across routes',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    await submitted(store, 'p1', { pipelineId: 'other' });
    await submitted(store, 'p2', { pipelineId: 'other' });
    await submitted(store, 'p3', { pipelineId: 'third' });
    assert.equal((await claimAt(store, {})).parked, 3, 'none of them has a route here');
    await submitted(store, 'due', { nowMs: T0 });
    const THIRD = { ...OTHER, pipelineId: 'third' };
    const outcome = await claimAt(store, { limit: 2, routes: [OTHER, THIRD, ROUTE], nowMs: T0 + 1 });
    const first = outcome.segments.map((s) => s.execution.executionId);
    assert.equal(first.length, 2, 'no more than the limit');
    assert.ok(!first.includes('due'), `parked ones before the due one: ${first.join(', ')}`);
    const rest = await claimAt(store, { limit: 5, routes: [OTHER, THIRD, ROUTE], nowMs: T0 + 2 });
    assert.deepEqual([...first, ...rest.segments.map((s) => s.execution.executionId)].sort(), [
      'due',
      'p1',
      'p2',
      'p3',
    ]);
  },
);

forEachStore('a route named twice claims each execution once', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  await submitted(store, 'p1', { pipelineId: 'other' });
  await claimAt(store, {});
  const outcome = await claimAt(store, { routes: [OTHER, OTHER], nowMs: T0 + 1 });
  assert.deepEqual(
    outcome.segments.map((s) => s.execution.executionId),
    ['p1'],
  );
  assert.equal(outcome.segments[0]?.execution.leaseEpoch, 1, 'claimed under one new epoch');
  const events = await store.readJournal('p1', 0, 10);
  assert.deepEqual(
    events.map((e) => e.type),
    ['submitted', 'attempt_started'],
  );
});

forEachStore(
  'wakeParked wakes the route’s dispatch-parked executions once their back-off passed',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const notBeforeMs = T0 + 5_000;
    for (const [id, pipelineId] of [
      ['x', 'p'],
      ['y', 'other'],
    ] as const) {
      await submitted(store, id, { pipelineId });
      const [segment] = await claimAt(store, { routes: [ROUTE, OTHER] }).then((o) =>
        o.segments.filter((s) => s.execution.executionId === id),
      );
      assert.ok(segment, `${id} claimed`);
      const parkedUntil = PARKED_DISPATCH_BASE + notBeforeMs;
      assert.equal(
        await store.fail({
          executionId: id,
          leaseEpoch: segment.execution.leaseEpoch,
          stepIndex: 0,
          failure: { errorCode: 'worker_unreachable', errorMessage: 'down' },
          decision: { kind: 'retry', attempt: 0, dueAtMs: parkedUntil },
          publication: undefined,
          nowMs: T0,
          expiresAtMs: T0 + 1e9,
        }),
        true,
      );
    }
    await submitted(store, 'no-route', { pipelineId: 'third' });
    await claimAt(store, {});
    assert.equal((await get(store, 'no-route'))?.nextDueAtMs, PARKED_NO_ROUTE);

    assert.equal(await store.wakeParked({ ...ROUTE, nowMs: notBeforeMs - 1 }), 0, 'back-off not over');
    assert.equal((await get(store, 'x'))?.nextDueAtMs, PARKED_DISPATCH_BASE + notBeforeMs);
    assert.equal(await store.wakeParked({ ...ROUTE, nowMs: notBeforeMs }), 1);
    assert.equal((await get(store, 'x'))?.nextDueAtMs, notBeforeMs, 'due at once');
    assert.equal(
      (await get(store, 'y'))?.nextDueAtMs,
      PARKED_DISPATCH_BASE + notBeforeMs,
      'another route stays',
    );
    const third = { ...ROUTE, pipelineId: 'third' };
    assert.equal(
      await store.wakeParked({ ...third, nowMs: notBeforeMs }),
      0,
      'no-route parking is not a back-off',
    );
    assert.equal((await get(store, 'no-route'))?.nextDueAtMs, PARKED_NO_ROUTE);
  },
);

forEachStore('a step whose previous checkpoint is missing is not started', async (t, kind) => {
  const db = await openTestStore(t, kind);
  let store: Store = db.store;
  await submitted(store, 'x');
  const first = await claimOne(store);
  const fence = { executionId: 'x', leaseEpoch: first.execution.leaseEpoch };
  assert.equal(
    await store.checkpointStep({ ...fence, stepIndex: 0, output: { done: 0 }, nowMs: T0 + 1 }),
    true,
  );
  assert.equal(
    await store.fail({
      ...fence,
      stepIndex: 1,
      failure: { errorCode: 'boom', errorMessage: 'boom' },
      decision: { kind: 'retry', attempt: 1, dueAtMs: T0 + 2 },
      publication: undefined,
      nowMs: T0 + 2,
      expiresAtMs: T0 + 1e9,
    }),
    true,
  );
  // The checkpoint vanishes behind the store's back (a damaged database).
  if (kind === 'sqlite') await store.close();
  await db.execSql('DELETE FROM step_outputs WHERE execution_id = ?', ['x']);
  if (kind === 'sqlite') store = await db.more();
  await assert.rejects(claimAt(store, { nowMs: T0 + 3 }), /execution x has no checkpoint for step 0/);
});
