import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ClockSkewError } from '../../src/coordinator/clock-skew.ts';
import { createCoordinator } from '../../src/coordinator/index.ts';
import { healthRoutes } from '../../src/http/routes/health-routes.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { Store } from '../../src/store/store-port.ts';
import { claim, get, submitted } from '../support/store-fixtures.ts';
import { openPostgresStores } from '../support/test-stores.ts';

// Leases are written by one node's clock and judged by another's. A node whose clock runs
// 20 s ahead of the database's must not take a live lease for an expired one: it reports not
// ready, gives up (and does not take) the maintenance leadership, and refuses to start.

const LEASE_MS = 10_000;
const SKEW_MS = 20_000;

const coordinatorOn = (store: Store, time: ManualTime) =>
  createCoordinator({
    store,
    clock: time,
    timers: time,
    random: seededRandom(3),
    config: { nodeId: 'skewed', leaderLeaseMs: 120_000, maxClockSkewMs: 2000 },
  });

/** Another node, on the real clock, holding `id`'s lease for LEASE_MS. */
async function heldByAnotherNode(store: Store, id: string): Promise<void> {
  await submitted(store, id);
  const claimed = await claim(store, { nowMs: Date.now(), limit: 1, owner: 'node-a', leaseMs: LEASE_MS });
  assert.equal(claimed.length, 1);
}

test('a node whose clock runs 20 s ahead reclaims no live lease and reports not ready', async (t) => {
  const db = await openPostgresStores(t);
  await heldByAnotherNode(db.store, 'x');
  const time = new ManualTime(Date.now());
  const coordinator = coordinatorOn(await db.more(), time);
  t.after(() => coordinator.stop());
  await coordinator.start();
  assert.equal((await coordinator.leadership()).isLeader, true, 'in step with the database, it leads');
  const app = Fastify();
  healthRoutes(app, coordinator);
  t.after(() => app.close());

  time.advance(SKEW_MS); // its clock jumps 20 s ahead: node-a's lease looks expired to it
  const report = await coordinator.tick();
  assert.equal(report.reclaimedLeases, 0);
  const x = await get(db.store, 'x');
  assert.equal(x?.status, 'RUNNING', 'the live lease stays with node-a');
  assert.equal(x?.leaseOwner, 'node-a');
  assert.equal((await coordinator.leadership()).isLeader, false, 'it gave the leadership up');
  const lease = await db.store.getLeadership('maintenance');
  assert.ok(!lease || lease.expiresAtMs <= Date.now(), 'and released it, so another node may lead');

  const ready = await app.inject({ method: 'GET', url: '/api/ready' });
  assert.equal(ready.statusCode, 503);
  const body = ready.json<{ checks: { name: string; status: string; skewMs: number }[] }>();
  const clock = body.checks.find((c) => c.name === 'clock');
  assert.equal(clock?.status, 'DOWN');
  assert.ok(Math.abs((clock?.skewMs ?? 0) - SKEW_MS) < 2000, `skew measured near 20 s: ${clock?.skewMs}`);
});

test('a node whose clock is 20 s ahead of the database refuses to start', async (t) => {
  const db = await openPostgresStores(t);
  const coordinator = coordinatorOn(await db.more(), new ManualTime(Date.now() + SKEW_MS));
  t.after(() => coordinator.stop());
  await assert.rejects(coordinator.start(), (error: unknown) => {
    assert.ok(error instanceof ClockSkewError);
    assert.match(error.message, /max-clock-skew/);
    return true;
  });
});
