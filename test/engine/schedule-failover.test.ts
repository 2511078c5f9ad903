// Two coordinator nodes on one PostgreSQL, one manual clock: the maintenance leader dies
// holding its lease between two slots of a schedule, the other node takes the lease over once
// it runs out, and every slot fires exactly once; the deposed leader's fence moves nothing.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import type { Coordinator } from '../../src/coordinator/coordinator.ts';
import { MAINTENANCE_ROLE } from '../../src/coordinator/leader-election.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import type { Store } from '../../src/store/store-port.ts';
import { openPostgresStores } from '../support/test-stores.ts';

const MINUTE = 60_000;
const LEASE_MS = 30_000;
const ticker = definePipeline({ id: 'ticker', input: z.object({ n: z.number() }) }).step('echo', {
  output: z.number(),
  run: ({ n }) => n,
});

/** One node on `store`, hosting `ticker` in-process, on the shared manual clock. */
async function node(t: TestContext, store: Store, time: ManualTime, nodeId: string, seed: number) {
  const workers = new WorkerRegistry();
  const worker = new LocalWorker(`${nodeId}-local`);
  workers.add(worker);
  const coordinator: Coordinator = createCoordinator({
    store,
    clock: time,
    timers: time,
    // Each node its own seed: execution ids drawn on both nodes must not collide.
    random: seededRandom(seed),
    workers,
    // Simulated time is far from the database's clock on purpose: no skew bound.
    config: { nodeId, leaderLeaseMs: LEASE_MS, maxClockSkewMs: Number.POSITIVE_INFINITY },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await coordinator.stop();
  };
  t.after(stop);
  await coordinator.start();
  await hostLocalPipelines(coordinator, worker, [{ pipeline: ticker }], {
    tenantId: 'default',
    nowMs: time.now(),
  });
  return { coordinator, stop };
}

const fires = async (c: Coordinator) =>
  /capstan_schedule_fires_total\{tenant="default",pipeline="ticker",outcome="fired"\} (\d+)/.exec(
    await c.metrics.registry.metrics(),
  )?.[1] ?? '0';

test('a leader failover between two slots: every slot fires exactly once (PostgreSQL)', async (t) => {
  const db = await openPostgresStores(t);
  const time = new ManualTime();
  const a = await node(t, db.store, time, 'node-a', 1);
  const b = await node(t, await db.more(), time, 'node-b', 2);
  assert.equal((await a.coordinator.leadership()).isLeader, true, 'the first node to start leads');
  assert.equal((await b.coordinator.leadership()).isLeader, false);

  // Created through the follower: any node takes admin calls; the leader fires. `skip` is the
  // strict policy: a slot the failover made miss would never fire.
  const { schedule } = await b.coordinator.schedules.create('default', 'ticker', {
    interval: 'PT1M',
    input: { n: 7 },
    missedFirePolicy: { kind: 'skip' },
  });
  const t0 = schedule.createdAtMs;
  const slotsFired = async () =>
    (await db.store.listExecutions('default', { scheduleId: schedule.scheduleId, limit: 100 }))
      .map((x) => (Date.parse(x.executionKey.split(':').slice(2).join(':')) - t0) / MINUTE)
      .sort((x, y) => x - y);
  // Time moves in steps shorter than a third of the lease, a pass on each live node after each
  // step, as their renewal timers would: a leader renews its lease before it runs out.
  const live = [a.coordinator, b.coordinator];
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 5000) {
      time.advance(Math.min(5000, left));
      for (const c of live) await c.tick();
    }
  };

  await advance(MINUTE);
  assert.deepEqual(await slotsFired(), [1], 'slot 1, fired by the leader');

  // 50 s later the leader dies right after renewing its lease: it keeps the lease for 30 s more.
  await advance(50_000);
  const deposed = await db.store.getLeadership(MAINTENANCE_ROLE);
  assert.ok(deposed);
  await a.stop();
  live.shift();
  await db.execSql('UPDATE leadership SET expires_at = ? WHERE role = ? AND holder = ?', [
    time.now() + LEASE_MS,
    MAINTENANCE_ROLE,
    deposed.holder,
  ]);

  // Slot 2 falls due while the dead leader's lease still runs: nobody fires it yet.
  await advance(10_000);
  assert.deepEqual(await slotsFired(), [1]);
  assert.equal((await b.coordinator.leadership()).isLeader, false);

  // The lease runs out; the survivor takes it over and fires slot 2, late but within the grace.
  await advance(25_000);
  assert.equal((await b.coordinator.leadership()).isLeader, true);
  assert.deepEqual(await slotsFired(), [1, 2]);

  // The deposed leader's fence (a paused process that wakes up) moves nothing.
  const stale = await db.store.advanceSchedule({
    leader: { role: deposed.role, holder: deposed.holder, epoch: deposed.epoch },
    tenantId: 'default',
    scheduleId: schedule.scheduleId,
    expectedNextFireAtMs: t0 + 3 * MINUTE,
    nextFireAtMs: t0 + 4 * MINUTE,
    nowMs: time.now(),
  });
  assert.deepEqual(stale, { kind: 'lost' });

  await advance(2 * MINUTE);
  assert.deepEqual(await slotsFired(), [1, 2, 3, 4], 'every slot exactly once');
  assert.deepEqual([await fires(a.coordinator), await fires(b.coordinator)], ['1', '3']);
  const after = await b.coordinator.schedules.get('default', schedule.scheduleId);
  assert.deepEqual([after.schedule.firedCount, after.schedule.nextFireAtMs], [4, t0 + 5 * MINUTE]);
});
