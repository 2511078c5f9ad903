// Schedules in the store, on both dialects: create, list, pause and resume, delete, and the
// leader's move of a schedule's next slot, which fires the slot's execution in the same
// transaction, only under a fence that still holds, and only from the position it was planned from.
import assert from 'node:assert/strict';
import type { ScheduleRecord } from '../../src/store/schedule-records.ts';
import { slotExecutionKey } from '../../src/store/schedule-records.ts';
import type { AdvanceScheduleCommand, LeaderFence, Store } from '../../src/store/store-port.ts';
import { leader, submitCommand, T0 } from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const MINUTE = 60_000;

const schedule = (id: string, overrides: Partial<ScheduleRecord> = {}): ScheduleRecord => ({
  tenantId: 'default',
  scheduleId: id,
  pipelineId: 'p',
  cron: null,
  timezone: null,
  intervalMs: MINUTE,
  input: { n: 1 },
  missedFirePolicy: { kind: 'catch_up', limit: 5 },
  idempotencyKeyPrefix: null,
  paused: false,
  nextFireAtMs: T0 + MINUTE,
  firedCount: 0,
  lastSlotAtMs: null,
  lastExecutionId: null,
  lastFiredAtMs: null,
  lastErrorCode: null,
  lastErrorMessage: null,
  lastErrorAtMs: null,
  version: 1,
  createdAtMs: T0,
  updatedAtMs: T0,
  ...overrides,
});

/** The move that fires `slotMs` of schedule `id` (next at `slotMs + 1 min`), under `fence`. */
function fireSlot(fence: LeaderFence, id: string, slotMs: number, expected = slotMs): AdvanceScheduleCommand {
  const key = slotExecutionKey({ scheduleId: id, idempotencyKeyPrefix: null }, slotMs);
  return {
    leader: fence,
    tenantId: 'default',
    scheduleId: id,
    expectedNextFireAtMs: expected,
    nextFireAtMs: slotMs + MINUTE,
    fire: {
      slotMs,
      submit: submitCommand(`x-${slotMs}`, {
        executionKey: key,
        inputFingerprint: 'fp',
        input: { n: 1 },
        scheduleId: id,
        nowMs: slotMs,
      }),
    },
    nowMs: slotMs,
  };
}

const scheduled = (store: Store, id: string) =>
  store.listExecutions('default', { scheduleId: id, limit: 100 }).then((xs) => xs.map((x) => x.executionKey));

forEachStore('a schedule is created, listed, paused, resumed and deleted', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await store.createSchedule(schedule('s1'));
  await store.createSchedule(
    schedule('s2', { pipelineId: 'q', cron: '*/5 * * * *', timezone: 'Europe/Berlin', intervalMs: null }),
  );
  await store.createSchedule(schedule('s3', { tenantId: 'other' }));
  assert.deepEqual(await store.getSchedule('default', 's1'), schedule('s1'), 'read back as written');
  const s2 = await store.getSchedule('default', 's2');
  assert.deepEqual([s2?.cron, s2?.timezone, s2?.intervalMs], ['*/5 * * * *', 'Europe/Berlin', null]);
  assert.equal(await store.getSchedule('other', 's1'), undefined, 'another tenant does not see it');
  assert.deepEqual(
    (await store.listSchedules('default', undefined)).map((s) => s.scheduleId),
    ['s1', 's2'],
  );
  assert.deepEqual(
    (await store.listSchedules('default', 'q')).map((s) => s.scheduleId),
    ['s2'],
  );

  const paused = await store.setSchedulePaused({
    tenantId: 'default',
    scheduleId: 's1',
    paused: true,
    nowMs: T0 + 5,
  });
  assert.deepEqual([paused?.paused, paused?.version, paused?.updatedAtMs], [true, 2, T0 + 5]);
  const again = await store.setSchedulePaused({
    tenantId: 'default',
    scheduleId: 's1',
    paused: true,
    nowMs: T0 + 9,
  });
  assert.deepEqual([again?.paused, again?.version], [true, 2], 'pausing a paused schedule changes nothing');
  assert.deepEqual(
    await store.findDueSchedules(T0 + 10 * MINUTE, 10).then((s) => s.map((x) => x.scheduleId)),
    ['s2', 's3'],
  );
  const resumed = await store.setSchedulePaused({
    tenantId: 'default',
    scheduleId: 's1',
    paused: false,
    nowMs: T0 + 7,
  });
  assert.deepEqual([resumed?.paused, resumed?.nextFireAtMs], [false, T0 + MINUTE], 'the next slot stays');
  assert.equal(
    await store.setSchedulePaused({ tenantId: 'default', scheduleId: 'nope', paused: true, nowMs: T0 }),
    undefined,
  );

  const deleted = await store.deleteSchedule('default', 's1');
  assert.equal(deleted?.scheduleId, 's1');
  assert.equal(await store.getSchedule('default', 's1'), undefined);
  assert.equal(await store.deleteSchedule('default', 's1'), undefined, 'a second delete finds nothing');
  assert.equal(await store.nextWakeAtMs(), T0 + MINUTE, "an active schedule's next slot wakes the leader");
});

forEachStore('the leader fires a slot and moves the schedule on in one transaction', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const fence = await leader(store);
  await store.createSchedule(schedule('s1'));
  const slot = T0 + MINUTE;
  const fired = await store.advanceSchedule(fireSlot(fence, 's1', slot));
  assert.equal(fired.kind, 'fired');
  assert.ok(fired.kind === 'fired' && !fired.duplicate);
  assert.equal(fired.execution.scheduleId, 's1', 'the execution names its schedule');
  assert.equal(fired.execution.executionKey, `schedule:s1:${new Date(slot).toISOString()}`);
  const [event] = await store.readJournal(fired.execution.executionId, 0, 1);
  assert.equal(event?.data.scheduleId, 's1', 'and so does its submitted event');
  const after = await store.getSchedule('default', 's1');
  assert.deepEqual(
    [after?.nextFireAtMs, after?.firedCount, after?.lastSlotAtMs, after?.lastExecutionId],
    [slot + MINUTE, 1, slot, fired.execution.executionId],
  );

  // The same move again (a leader that planned from the old position) is refused: nothing written.
  assert.deepEqual(await store.advanceSchedule(fireSlot(fence, 's1', slot)), { kind: 'lost' });
  assert.deepEqual(await scheduled(store, 's1'), [fired.execution.executionKey]);

  // A slot fired again from a position set back behind the store's back is a duplicate of its key.
  const duplicate = await store.advanceSchedule(fireSlot(fence, 's1', slot, slot + MINUTE));
  assert.ok(duplicate.kind === 'fired' && duplicate.duplicate, JSON.stringify(duplicate));
  assert.equal(duplicate.execution.executionId, fired.execution.executionId);
  assert.equal((await scheduled(store, 's1')).length, 1, 'still one execution for the slot');

  // A move that only skips writes no execution.
  const skipped = await store.advanceSchedule({
    leader: fence,
    tenantId: 'default',
    scheduleId: 's1',
    expectedNextFireAtMs: slot + MINUTE,
    nextFireAtMs: slot + 10 * MINUTE,
    nowMs: slot + 10 * MINUTE,
  });
  assert.deepEqual(skipped, { kind: 'advanced' });
  assert.equal((await store.getSchedule('default', 's1'))?.nextFireAtMs, slot + 10 * MINUTE);
  assert.equal((await scheduled(store, 's1')).length, 1);
});

forEachStore("a deposed leader's move is refused and writes nothing", async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const old = await leader(store);
  await store.createSchedule(schedule('s1'));
  // Another node takes the lease: the old fence's epoch is stale.
  const current = await store.acquireLeadership({
    role: 'maintenance',
    holder: 'other-leader',
    nowMs: T0,
    ttlMs: 60_000,
    takeOver: true,
  });
  assert.ok(current && current.epoch > old.epoch);
  const slot = T0 + MINUTE;
  assert.deepEqual(await store.advanceSchedule(fireSlot(old, 's1', slot)), { kind: 'lost' });
  assert.equal((await store.getSchedule('default', 's1'))?.nextFireAtMs, slot, 'the schedule did not move');
  assert.deepEqual(await scheduled(store, 's1'), [], 'no execution');
  const fired = await store.advanceSchedule(fireSlot(current, 's1', slot));
  assert.equal(fired.kind, 'fired', 'the current leader fires it');
});

forEachStore(
  'a paused or deleted schedule is not moved; a slot error is recorded and cleared',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const fence = await leader(store);
    await store.createSchedule(schedule('s1'));
    const slot = T0 + MINUTE;
    await store.setSchedulePaused({ tenantId: 'default', scheduleId: 's1', paused: true, nowMs: T0 });
    assert.deepEqual(await store.advanceSchedule(fireSlot(fence, 's1', slot)), { kind: 'lost' });
    await store.setSchedulePaused({ tenantId: 'default', scheduleId: 's1', paused: false, nowMs: T0 });

    const failed = await store.advanceSchedule({
      leader: fence,
      tenantId: 'default',
      scheduleId: 's1',
      expectedNextFireAtMs: slot,
      nextFireAtMs: slot + MINUTE,
      error: { code: 'no_active_release', message: 'no release is active' },
      nowMs: slot,
    });
    assert.deepEqual(failed, { kind: 'advanced' });
    const recorded = await store.getSchedule('default', 's1');
    assert.deepEqual(
      [recorded?.lastErrorCode, recorded?.lastErrorAtMs, recorded?.firedCount],
      ['no_active_release', slot, 0],
    );
    const fired = await store.advanceSchedule(fireSlot(fence, 's1', slot + MINUTE));
    assert.equal(fired.kind, 'fired');
    assert.equal((await store.getSchedule('default', 's1'))?.lastErrorCode, null, 'a fire clears it');

    await store.deleteSchedule('default', 's1');
    assert.deepEqual(await store.advanceSchedule(fireSlot(fence, 's1', slot + 2 * MINUTE)), { kind: 'lost' });
  },
);

forEachStore("a slot whose key names another input's execution starts none and says so", async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  const fence = await leader(store);
  await store.createSchedule(schedule('s1', { idempotencyKeyPrefix: 'nightly' }));
  const slot = T0 + MINUTE;
  const key = slotExecutionKey({ scheduleId: 's1', idempotencyKeyPrefix: 'nightly' }, slot);
  assert.equal(key, `nightly:${new Date(slot).toISOString()}`);
  await store.submit(submitCommand('manual', { executionKey: key, inputFingerprint: 'other' }));
  const command = fireSlot(fence, 's1', slot);
  const outcome = await store.advanceSchedule({
    ...command,
    fire: command.fire && { ...command.fire, submit: { ...command.fire.submit, executionKey: key } },
  });
  assert.equal(outcome.kind, 'conflict');
  const after = await store.getSchedule('default', 's1');
  assert.deepEqual([after?.nextFireAtMs, after?.lastErrorCode], [slot + MINUTE, 'idempotency_conflict']);
});
