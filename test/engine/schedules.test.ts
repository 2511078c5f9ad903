// Schedules fired by the maintenance leader, with a manual clock: each slot once, in order; the
// missed-fire policies after slots passed unfired; pause, resume and delete; what a slot that
// cannot start an execution records. One node here; two nodes and a failover in
// schedule-failover.test.ts.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import type { ScheduleRequest } from '../../src/coordinator/schedules.ts';
import { hostLocalPipelines } from '../../src/coordinator/index.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const MINUTE = 60_000;
const ticker = definePipeline({ id: 'ticker', input: z.object({ n: z.number() }) }).step('echo', {
  output: z.number(),
  run: ({ n }) => n,
});

/** An engine hosting `ticker`, and a schedule of it created at the clock's start (T0). */
async function scheduled(t: TestContext, request: Partial<ScheduleRequest>, engine?: Engine) {
  const e = engine ?? (await startEngine(t, [ticker]));
  const { schedule } = await e.coordinator.schedules.create('default', 'ticker', {
    interval: 'PT1M',
    input: { n: 1 },
    ...request,
  });
  return { engine: e, schedule, t0: schedule.createdAtMs };
}

/** The slots (minutes after T0) the schedule's executions were started for, in slot order. */
async function firedSlots(engine: Engine, scheduleId: string, t0: number): Promise<number[]> {
  const executions = await engine.store.listExecutions('default', { scheduleId, limit: 1000 });
  return executions
    .map((x) => (Date.parse(x.executionKey.slice(`schedule:${scheduleId}:`.length)) - t0) / MINUTE)
    .sort((a, b) => a - b);
}

forEachStore(
  'an interval schedule fires every slot once, in order, and its executions run',
  async (t, kind) => {
    const engine = await startEngine(t, [ticker], {}, { store: kind });
    const { schedule, t0 } = await scheduled(t, {}, engine);
    assert.equal(schedule.nextFireAtMs, t0 + MINUTE, 'the first slot is one interval after creation');
    assert.deepEqual(
      engine.coordinator.schedules.view(schedule).nextFireTimesMs,
      [1, 2, 3].map((m) => t0 + m * MINUTE),
    );
    await engine.coordinator.tick();
    assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), [], 'nothing before the first slot');
    for (let minute = 1; minute <= 3; minute++) {
      engine.time.advance(MINUTE);
      await engine.coordinator.tick();
      await engine.coordinator.tick(); // a second pass finds nothing more to fire
    }
    assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), [1, 2, 3]);
    const executions = await engine.store.listExecutions('default', {
      scheduleId: schedule.scheduleId,
      limit: 10,
    });
    for (const x of executions) {
      assert.equal(x.status, 'SUCCEEDED', 'each ran');
      assert.equal(x.scheduleId, schedule.scheduleId);
    }
    const after = await engine.coordinator.schedules.get('default', schedule.scheduleId);
    assert.deepEqual(
      [after.schedule.firedCount, after.schedule.lastSlotAtMs, after.schedule.nextFireAtMs],
      [3, t0 + 3 * MINUTE, t0 + 4 * MINUTE],
    );
    assert.equal(after.schedule.lastExecutionId, executions[0]?.executionId, 'the newest is the latest slot');
  },
);

/** Slots 1..10 passed while nothing fired: slot 10 (30 s late) is on time, slots 1..9 are missed. */
async function afterOutage(t: TestContext, request: Partial<ScheduleRequest>) {
  const { engine, schedule, t0 } = await scheduled(t, request);
  engine.time.advance(10 * MINUTE + 30_000);
  await engine.coordinator.tick();
  await engine.coordinator.tick();
  const slots = await firedSlots(engine, schedule.scheduleId, t0);
  const after = await engine.coordinator.schedules.get('default', schedule.scheduleId);
  assert.equal(after.schedule.nextFireAtMs, t0 + 11 * MINUTE, 'the schedule goes on at the next slot');
  return slots;
}

test('missed slots, skip: none of them fires; the slot on time does', async (t) => {
  assert.deepEqual(await afterOutage(t, { missedFirePolicy: { kind: 'skip' } }), [10]);
});

test('missed slots, fire_once: the latest of them fires once, then the slot on time', async (t) => {
  assert.deepEqual(await afterOutage(t, { missedFirePolicy: { kind: 'fire_once' } }), [9, 10]);
});

test('missed slots, catch up with a limit: the latest n fire, oldest first, then the slot on time', async (t) => {
  assert.deepEqual(await afterOutage(t, { missedFirePolicy: { kind: 'catch_up', limit: 3 } }), [7, 8, 9, 10]);
  assert.deepEqual(
    await afterOutage(t, { missedFirePolicy: { kind: 'catch_up', limit: 50 } }),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'a limit above the missed count fires them all',
  );
});

test('a pass fires at most the sweep limit; the rest follows at the next passes, oldest first, each once', async (t) => {
  const engine = await startEngine(t, [ticker], { sweepLimit: 4 });
  const { schedule, t0 } = await scheduled(t, { missedFirePolicy: { kind: 'catch_up', limit: 10 } }, engine);
  // Slots 1..8 are missed (slot 9, late by exactly the grace, is on time). The clock's advance
  // also runs the pass it had planned, in the background: passes, not ticks, are counted.
  engine.time.advance(10 * MINUTE);
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  for (let pass = 0; pass < 4; pass++) {
    const report = await engine.coordinator.tick();
    assert.ok(report.scheduledExecutions <= 4, `a pass started ${report.scheduledExecutions}`);
    const fired = await firedSlots(engine, schedule.scheduleId, t0);
    assert.deepEqual(fired, all.slice(0, fired.length), 'always the oldest first, none twice');
  }
  assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), all);
});

test('pause holds every slot; resume hands the missed ones to the policy; delete ends it', async (t) => {
  const { engine, schedule, t0 } = await scheduled(t, { missedFirePolicy: { kind: 'fire_once' } });
  const { schedules } = engine.coordinator;
  engine.time.advance(MINUTE);
  await engine.coordinator.tick();
  const paused = await schedules.setPaused('default', schedule.scheduleId, true);
  assert.deepEqual([paused.schedule.paused, paused.nextFireTimesMs], [true, []]);
  engine.time.advance(5 * MINUTE + 30_000);
  await engine.coordinator.tick();
  assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), [1], 'nothing fires while paused');

  const resumed = await schedules.setPaused('default', schedule.scheduleId, false);
  assert.equal(resumed.schedule.paused, false);
  await engine.coordinator.tick();
  // Slots 2..5 passed more than the grace ago, missed: fire_once fires 5; slot 6 is on time.
  assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), [1, 5, 6]);

  const deleted = await schedules.delete('default', schedule.scheduleId);
  assert.equal(deleted.schedule.scheduleId, schedule.scheduleId);
  engine.time.advance(5 * MINUTE);
  await engine.coordinator.tick();
  assert.deepEqual(
    await firedSlots(engine, schedule.scheduleId, t0),
    [1, 5, 6],
    'a deleted schedule fires no more',
  );
  await assert.rejects(schedules.get('default', schedule.scheduleId), { code: 'schedule_not_found' });
  await assert.rejects(schedules.setPaused('default', schedule.scheduleId, true), {
    code: 'schedule_not_found',
  });
});

test('a cron schedule fires at its matches in its time zone', async (t) => {
  const engine = await startEngine(t, [ticker]);
  // ManualTime starts at 2026-01-01T00:00Z, 01:00 in Berlin: the next 02:30 there is 01:30Z.
  const { schedule } = await engine.coordinator.schedules.create('default', 'ticker', {
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    input: { n: 2 },
  });
  const next = engine.coordinator.schedules
    .view(schedule)
    .nextFireTimesMs.map((ms) => new Date(ms).toISOString());
  assert.deepEqual(next, [
    '2026-01-01T01:30:00.000Z',
    '2026-01-02T01:30:00.000Z',
    '2026-01-03T01:30:00.000Z',
  ]);
  engine.time.advance(90 * MINUTE);
  await engine.coordinator.tick();
  const [x] = await engine.store.listExecutions('default', { scheduleId: schedule.scheduleId, limit: 10 });
  assert.equal(x?.executionKey, `schedule:${schedule.scheduleId}:2026-01-01T01:30:00.000Z`);
});

test('a slot that cannot start an execution is taken and says why; the next one fires', async (t) => {
  const engine = await startEngine(t, [ticker]);
  const { schedules } = engine.coordinator;
  // The input is checked against the active release at creation…
  await assert.rejects(schedules.create('default', 'ticker', { interval: 'PT1M', input: { n: 'x' } }), {
    code: 'invalid_input',
  });
  // …and at each fire: a release activated since with another input schema refuses it, so the
  // slot is taken, starts nothing and says why; the metric counts it.
  const { schedule, t0 } = await scheduled(t, {}, engine);
  const tickerV2 = definePipeline({ id: 'ticker', input: z.object({ n: z.string() }) }).step('echo', {
    output: z.string(),
    run: ({ n }) => n,
  });
  await hostLocalPipelines(engine.coordinator, undefined, [{ pipeline: tickerV2 }], {
    tenantId: 'default',
    nowMs: engine.time.now(),
  });
  engine.time.advance(MINUTE);
  await engine.coordinator.tick();
  const after = await schedules.get('default', schedule.scheduleId);
  assert.deepEqual(
    [after.schedule.nextFireAtMs, after.schedule.lastErrorCode, after.schedule.firedCount],
    [t0 + 2 * MINUTE, 'invalid_input', 0],
  );
  assert.match(after.schedule.lastErrorMessage ?? '', /refuses the schedule's input/);
  assert.deepEqual(await firedSlots(engine, schedule.scheduleId, t0), []);
  const metrics = await engine.coordinator.metrics.registry.metrics();
  assert.match(
    metrics,
    /capstan_schedule_fires_total\{tenant="default",pipeline="ticker",outcome="invalid_input"\} 1/,
  );
});

test('creation refuses what cannot be: both or neither timing, bad cron, zone or interval, an unknown pipeline', async (t) => {
  const engine = await startEngine(t, [ticker]);
  const { schedules } = engine.coordinator;
  const refused = async (request: Partial<ScheduleRequest>, field: string, pipelineId = 'ticker') =>
    assert.rejects(
      schedules.create('default', pipelineId, { input: { n: 1 }, ...request }),
      (error: unknown) => {
        const e = error as { code: string; details: { field: string } };
        assert.equal(e.code, 'schedule_invalid');
        assert.equal(e.details.field, field);
        return true;
      },
    );
  await refused({}, 'cron');
  await refused({ cron: '* * * * *', interval: 'PT1M' }, 'interval');
  await refused({ cron: '61 * * * *' }, 'cron');
  await refused({ cron: '0 0 30 2 *' }, 'cron'); // February 30th: never
  await refused({ cron: '* * * * *', timezone: 'Mars/Olympus' }, 'timezone');
  await refused({ interval: 'PT1M', timezone: 'UTC' }, 'timezone');
  await refused({ interval: 'PT0.5S' }, 'interval');
  await refused({ interval: 'ten minutes' }, 'interval');
  await refused({ interval: 'PT1M', missedFirePolicy: { kind: 'catch_up', limit: 0 } }, 'missedFirePolicy');
  await assert.rejects(schedules.create('default', 'nope', { interval: 'PT1M', input: {} }), {
    code: 'pipeline_not_found',
  });
  await assert.rejects(schedules.list('default', 'nope'), { code: 'pipeline_not_found' });
  assert.deepEqual(await schedules.list('default', 'ticker'), []);
});
