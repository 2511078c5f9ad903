// The await admission budget on both stores: a budgeted park is admitted (WAITING, request in
// the outbox) or held back (ADMISSION_WAITING, nothing published); every end of an admitted
// interaction (completion, time-out, cancel) admits the oldest waiting one in its transaction;
// the budget is never exceeded, even with nodes completing at once; the queue survives a
// reopened SQLite file; and the counter is back at 0 when everything has ended.
import assert from 'node:assert/strict';
import type { AwaitAdmissionRecord, Store } from '../../src/store/store-port.ts';
import { claim, complete, leader, newInteraction, submitted, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const DEADLINE_MS = 60_000;

/** Parks each of `ids` (already claimed) on a budgeted interaction with a broker request. */
async function parkUnderBudget(
  store: Store,
  ids: readonly string[],
  limit: number,
  nowMs = T0 + 1,
  stores: readonly Store[] = [store],
): Promise<void> {
  const claimed = await claim(store, { limit: ids.length });
  assert.equal(claimed.length, ids.length);
  const epochs = new Map(claimed.map((s) => [s.execution.executionId, s.execution.leaseEpoch]));
  await Promise.all(
    ids.map(async (id, n) => {
      const ok = await (stores[n % stores.length] as Store).suspend({
        executionId: id,
        leaseEpoch: epochs.get(id) as number,
        stepIndex: 0,
        interaction: newInteraction(id, {
          transportType: 'nats',
          deadlineAtMs: nowMs + DEADLINE_MS,
          admissionLimit: limit,
        }),
        publication: {
          topic: 'await.nats',
          payload: { interactionId: `i-${id}`, deadlineAtMs: nowMs + DEADLINE_MS },
        },
        nowMs,
      });
      assert.equal(ok, true);
    }),
  );
}

async function submitAll(store: Store, ids: readonly string[]): Promise<void> {
  for (const id of ids) await submitted(store, id);
}

const scopeOf = async (store: Store): Promise<AwaitAdmissionRecord | undefined> =>
  (await store.listAwaitAdmission('default')).find((a) => a.pipelineId === 'p' && a.stepId === 'approve');

/** Interactions the store says are out at the provider (WAITING): what the budget bounds. */
const openCount = async (store: Store): Promise<number> =>
  (await store.listPendingInteractions('default', { limit: 1000 })).length;

const publishedIds = async (store: Store): Promise<string[]> =>
  (await store.readOutbox(1000)).map((m) => String(m.payload.interactionId));

const status = async (store: Store, id: string) =>
  (await store.findInteraction('default', { interactionId: `i-${id}` }))?.status;

/** The executions of `all` still held back, in the order of `all`. */
async function heldBack(store: Store, all: readonly string[], done: ReadonlySet<string>): Promise<string[]> {
  const open = all.filter((id) => !done.has(id));
  const statuses = await Promise.all(open.map((id) => status(store, id)));
  return open.filter((_, i) => statuses[i] === 'ADMISSION_WAITING');
}

const ids = (n: number, prefix = 'x') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

forEachStore('a budget admits up to its limit and holds the rest back unpublished', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const all = ids(5);
  await submitAll(store, all);
  await parkUnderBudget(store, all, 2);
  const scope = await scopeOf(store);
  assert.deepEqual(scope, {
    tenantId: 'default',
    pipelineId: 'p',
    stepId: 'approve',
    limit: 2,
    outstanding: 2,
    waiting: 3,
  });
  assert.equal(await openCount(store), 2);
  assert.equal((await publishedIds(store)).length, 2, 'only admitted interactions are published');
  const held = (await Promise.all(all.map((id) => status(store, id)))).filter(
    (s) => s === 'ADMISSION_WAITING',
  );
  assert.equal(held.length, 3);
  // A held-back interaction cannot be completed: nobody was asked yet.
  const firstHeld = (await Promise.all(all.map(async (id) => ({ id, s: await status(store, id) })))).find(
    (x) => x.s === 'ADMISSION_WAITING',
  )?.id;
  assert.ok(firstHeld);
  const refused = await complete(store, firstHeld, 'fp', T0 + 2);
  assert.equal(refused.kind, 'not_admitted');
  // Its `suspended` event says it was held back, so a rebuild gives it back that status.
  const suspended = (await store.readJournal(firstHeld, 0, 100)).find((e) => e.type === 'suspended');
  assert.equal(suspended?.data.admission, 'WAITING');
});

forEachStore(
  'completions admit the waiting in park order, with a fresh deadline, down to 0',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const all = ids(8);
    await submitAll(store, all);
    // Parked one at a time, so the park order (FIFO) is known.
    for (const [n, id] of all.entries()) await parkUnderBudget(store, [id], 3, T0 + 1 + n);
    const admittedFirst = all.slice(0, 3);
    assert.deepEqual(
      await publishedIds(store),
      admittedFirst.map((id) => `i-${id}`),
    );

    let nowMs = T0 + 100;
    const done = new Set<string>();
    // Complete whatever is open, in a scrambled order, until nothing is left.
    while (done.size < all.length) {
      const open = all.filter((id) => !done.has(id));
      const statuses = await Promise.all(open.map((id) => status(store, id)));
      const waiting = open.filter((_, i) => statuses[i] === 'WAITING');
      assert.ok(waiting.length > 0 && waiting.length <= 3, `outstanding ${waiting.length} within the budget`);
      const pick = waiting[(nowMs * 7) % waiting.length] as string;
      nowMs += 10;
      assert.equal((await complete(store, pick, 'fp', nowMs)).kind, 'completed');
      done.add(pick);
      const scope = await scopeOf(store);
      assert.ok(scope && scope.outstanding <= 3);
    }
    // Admitted, hence published, strictly in park order.
    assert.deepEqual(
      await publishedIds(store),
      all.map((id) => `i-${id}`),
    );
    // An admitted interaction's deadline (and its request's) starts at its admission.
    const fourth = all[3] as string;
    const admittedEvent = (await store.readJournal(fourth, 0, 100)).find(
      (e) => e.type === 'interaction_admitted',
    );
    assert.ok(admittedEvent);
    assert.equal(admittedEvent.data.deadlineAtMs, admittedEvent.atMs + DEADLINE_MS);
    const request = (await store.readOutbox(1000)).find((m) => m.payload.interactionId === `i-${fourth}`);
    assert.equal(request?.payload.deadlineAtMs, admittedEvent.atMs + DEADLINE_MS);
    assert.deepEqual(await scopeOf(store), {
      tenantId: 'default',
      pipelineId: 'p',
      stepId: 'approve',
      limit: 3,
      outstanding: 0,
      waiting: 0,
    });
  },
);

forEachStore(
  'a time-out or a cancel of an admitted interaction admits the next; a held one leaves the queue',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'] as const;
    await submitAll(store, [a, b, c, d]);
    for (const [n, id] of [a, b, c, d].entries()) await parkUnderBudget(store, [id], 1, T0 + 1 + n);
    assert.deepEqual(await Promise.all([a, b, c, d].map((id) => status(store, id))), [
      'WAITING',
      'ADMISSION_WAITING',
      'ADMISSION_WAITING',
      'ADMISSION_WAITING',
    ]);
    // Cancelling a held one (c) leaves the counter alone.
    const cancelHeld = await store.cancel({
      tenantId: 'default',
      executionId: c,
      reason: 't',
      nowMs: T0 + 10,
      expiresAtMs: T0 + 1e9,
    });
    assert.equal(cancelHeld.kind, 'cancelled');
    assert.equal(await status(store, c), 'CANCELLED');
    assert.deepEqual(await scopeOf(store), {
      tenantId: 'default',
      pipelineId: 'p',
      stepId: 'approve',
      limit: 1,
      outstanding: 1,
      waiting: 2,
    });
    // A held interaction has no deadline running: past its would-be deadline nothing finds it.
    assert.deepEqual(
      (await store.findPassedDeadlines(T0 + 1 + DEADLINE_MS, 10)).map((i) => i.interactionId),
      [`i-${a}`],
    );
    // The time-out of the admitted one (a) admits b, whose deadline starts then.
    const fence = await leader(store);
    const timedOut = await store.timeOutInteraction({
      leader: fence,
      interactionId: `i-${a}`,
      reason: 'await_timeout',
      terminalStatus: 'DLQ',
      publication: undefined,
      nowMs: T0 + 1 + DEADLINE_MS,
      expiresAtMs: T0 + 1e9,
    });
    assert.equal(timedOut, true);
    assert.equal(await status(store, b), 'WAITING');
    assert.equal(
      (await store.findInteraction('default', { interactionId: `i-${b}` }))?.deadlineAtMs,
      T0 + 1 + 2 * DEADLINE_MS,
    );
    // Cancelling the admitted one (b) admits d.
    await store.cancel({
      tenantId: 'default',
      executionId: b,
      reason: 't',
      nowMs: T0 + 2 * DEADLINE_MS,
      expiresAtMs: T0 + 1e9,
    });
    assert.equal(await status(store, d), 'WAITING');
    assert.deepEqual(await publishedIds(store), [`i-${a}`, `i-${b}`, `i-${d}`]);
    assert.equal((await complete(store, d, 'fp', T0 + 2 * DEADLINE_MS + 1)).kind, 'completed');
    assert.deepEqual(await scopeOf(store), {
      tenantId: 'default',
      pipelineId: 'p',
      stepId: 'approve',
      limit: 1,
      outstanding: 0,
      waiting: 0,
    });
    // Every admission is journaled on its execution: a rebuild reproduces the interactions.
    const before = await store.snapshotProjections();
    await store.rebuildProjections();
    assert.deepEqual(await store.snapshotProjections(), before);
  },
);

forEachStore(
  '50 executions under a budget of 5, completed at once in random order, never exceed it',
  async (t, kind) => {
    const db = await openTestStore(t, kind);
    const store = db.store;
    // On PostgreSQL a second handle is a second node, completing and parking beside the first.
    const nodes = kind === 'postgres' ? [store, await db.more()] : [store];
    const all = ids(50);
    await submitAll(store, all);
    await parkUnderBudget(store, all, 5, T0 + 1, nodes);
    let maxSeen = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [scope, open] = await Promise.all([scopeOf(store), openCount(store)]);
        maxSeen = Math.max(maxSeen, scope?.outstanding ?? 0, open);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const done = new Set<string>();
    // Every fifth round, a held-back execution is cancelled by the other node: every tenth
    // before the round's completions (so some cancels surely find it held back), the others
    // while the completions admit, a cancel racing the admission of its own interaction.
    const cancelledWaiting = new Set<string>();
    let round = 0;
    while (done.size < all.length) {
      const open = (await store.listPendingInteractions('default', { limit: 1000 })).map(
        (i) => i.executionId,
      );
      assert.ok(open.length <= 5, `${open.length} outstanding`);
      const shuffled = open.filter((id) => !done.has(id)).sort(() => Math.random() - 0.5);
      round += 1;
      const heldNow = await heldBack(store, all, done);
      const victim = round % 5 === 0 ? heldNow[0] : undefined;
      const cancel = () =>
        victim === undefined
          ? Promise.resolve(undefined)
          : (nodes[nodes.length - 1] as Store).cancel({
              tenantId: 'default',
              executionId: victim,
              reason: 'race',
              nowMs: T0 + 10 + round,
              expiresAtMs: T0 + 1e9,
            });
      const cancelledFirst = round % 10 === 0 ? await cancel() : undefined;
      const [cancelledInRace, ...outcomes] = await Promise.all([
        round % 10 === 0 ? undefined : cancel(),
        ...shuffled.map((id, n) => complete(nodes[n % nodes.length] as Store, id, 'fp', T0 + 10 + round)),
      ]);
      const cancelled = cancelledFirst ?? cancelledInRace;
      if (victim !== undefined) {
        assert.equal(cancelled?.kind, 'cancelled');
        done.add(victim);
        // Admitted before the cancel took it, or cancelled while held back: never published then.
        const journal = (await store.readJournal(victim, 0, 100)).map((e) => e.type);
        if (!journal.includes('interaction_admitted')) cancelledWaiting.add(victim);
      }
      for (const [n, outcome] of outcomes.entries()) {
        assert.equal(outcome.kind, 'completed');
        done.add(shuffled[n] as string);
      }
      assert.ok(round <= 60, 'every round ends at least one');
    }
    sampling = false;
    await sampler;
    assert.ok(maxSeen <= 5, `at most 5 outstanding, saw ${maxSeen}`);
    assert.ok(maxSeen >= 1);
    assert.ok(cancelledWaiting.size > 0, 'some executions were cancelled while held back');
    assert.deepEqual(await scopeOf(store), {
      tenantId: 'default',
      pipelineId: 'p',
      stepId: 'approve',
      limit: 5,
      outstanding: 0,
      waiting: 0,
    });
    const published = await publishedIds(store);
    assert.equal(published.length, 50 - cancelledWaiting.size, 'each admitted request published once');
    assert.equal(new Set(published).size, published.length);
    for (const id of cancelledWaiting) assert.ok(!published.includes(`i-${id}`), `${id} never published`);
  },
);

forEachStore('the waiting queue survives reopening the store, and drains to 0 after it', async (t, kind) => {
  const db = await openTestStore(t, kind);
  const all = ids(6);
  await submitAll(db.store, all);
  for (const [n, id] of all.entries()) await parkUnderBudget(db.store, [id], 2, T0 + 1 + n);
  await db.store.close();
  const reopened = await db.more();
  assert.deepEqual(await scopeOf(reopened), {
    tenantId: 'default',
    pipelineId: 'p',
    stepId: 'approve',
    limit: 2,
    outstanding: 2,
    waiting: 4,
  });
  for (const [n, id] of all.entries()) {
    assert.equal(await status(reopened, id), 'WAITING', `${id} admitted in its turn`);
    assert.equal((await complete(reopened, id, 'fp', T0 + 100 + n)).kind, 'completed');
  }
  assert.deepEqual(
    await publishedIds(reopened),
    all.map((id) => `i-${id}`),
  );
  assert.deepEqual(await scopeOf(reopened), {
    tenantId: 'default',
    pipelineId: 'p',
    stepId: 'approve',
    limit: 2,
    outstanding: 0,
    waiting: 0,
  });
});
