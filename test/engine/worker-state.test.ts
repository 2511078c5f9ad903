/**
 * Worker lifecycle state on both stores: one current-state row per worker, a history of
 * transitions only (heartbeats update the row in place), pruned by retention, and the
 * current state built from the events of a store that predates it.
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { WorkerLifecycle } from '../../src/coordinator/workers/worker-lifecycle.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

const T0 = 1_700_000_000_000;
const registration = {
  workerId: 'w1',
  contractVersion: 'c1',
  releaseVersion: 'r1',
  protocol: 'rest',
  endpoint: 'http://127.0.0.1:9001',
};

forEachStore(
  '10 000 heartbeats append no history rows and keep one state row per worker',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind);
    const clock = new ManualTime(T0);
    const lifecycle = new WorkerLifecycle({ store, clock, staleAfterMs: 120_000 });
    await lifecycle.register('default', 'p', registration, { mayChangeEndpoint: false });
    for (let batch = 0; batch < 20; batch++) {
      clock.advance(1000);
      await Promise.all(
        Array.from({ length: 500 }, () => lifecycle.signal('default', 'p', 'w1', 'HEARTBEAT')),
      );
    }
    const history = await store.listWorkerEvents('default', 'p');
    assert.deepEqual(
      history.map((e) => e.type),
      ['REGISTER'],
      'the history holds the registration only, no heartbeat',
    );
    const rows = await store.listWorkers('default', 'p');
    assert.equal(rows.length, 1, 'one current-state row');
    assert.equal(rows[0]?.lastHeartbeatAtMs, T0 + 20_000);
    assert.equal((await lifecycle.get('default', 'p', 'w1')).state, 'HEALTHY');

    // Transitions do join the history, a heartbeat ending UNAVAILABLE among them.
    await lifecycle.markUnavailable('default', 'p', 'w1', 'ECONNREFUSED');
    assert.equal((await lifecycle.get('default', 'p', 'w1')).state, 'UNAVAILABLE');
    await lifecycle.signal('default', 'p', 'w1', 'HEARTBEAT');
    await lifecycle.signal('default', 'p', 'w1', 'HEARTBEAT');
    await lifecycle.signal('default', 'p', 'w1', 'DRAIN');
    assert.equal((await lifecycle.get('default', 'p', 'w1')).state, 'DRAINING');
    await lifecycle.signal('default', 'p', 'w1', 'UNDRAIN');
    assert.deepEqual(
      (await store.listWorkerEvents('default', 'p')).map((e) => e.type),
      ['REGISTER', 'UNAVAILABLE', 'HEARTBEAT', 'DRAIN', 'UNDRAIN'],
    );
    await assert.rejects(lifecycle.signal('default', 'p', 'nobody', 'HEARTBEAT'), {
      code: 'worker_not_found',
    });
  },
);

forEachStore('worker history is pruned past its retention, in bounded batches', async (t, kind) => {
  const { store } = await openTestStore(t, kind);
  const clock = new ManualTime(T0);
  const lifecycle = new WorkerLifecycle({ store, clock, staleAfterMs: 120_000 });
  await lifecycle.register('default', 'p', registration, { mayChangeEndpoint: false });
  for (let i = 0; i < 4; i++) {
    clock.advance(1000);
    await lifecycle.signal('default', 'p', 'w1', i % 2 === 0 ? 'DRAIN' : 'UNDRAIN');
  }
  clock.advance(86_400_000);
  await lifecycle.signal('default', 'p', 'w1', 'DRAIN');
  assert.equal((await store.listWorkerEvents('default', 'p')).length, 6);
  const cutoff = clock.now() - 3_600_000;
  assert.equal(await store.pruneWorkerEvents(cutoff, 3), 3, 'one batch of at most 3');
  assert.equal(await store.pruneWorkerEvents(cutoff, 3), 2);
  assert.equal(await store.pruneWorkerEvents(cutoff, 3), 0);
  assert.deepEqual(
    (await store.listWorkerEvents('default', 'p')).map((e) => [e.type, e.atMs]),
    [['DRAIN', clock.now()]],
  );
  const [state] = await store.listWorkers('default', 'p');
  assert.equal(state?.endpoint, registration.endpoint, 'pruning the history leaves the current state');
  assert.equal((await lifecycle.get('default', 'p', 'w1')).state, 'DRAINING');
});

forEachStore('the current-state rows are built from the events of an older store', async (t, kind) => {
  const db = await openTestStore(t, kind);
  await db.store.close();
  // Back to the schema before the current-state table, with an event history in it.
  for (const sql of [
    'DROP TABLE workers',
    'DROP INDEX worker_events_by_time',
    'DROP INDEX worker_events_by_worker',
    'DELETE FROM schema_migrations WHERE version = 6',
  ])
    await db.execSql(sql);
  const events: [string, string, string, number][] = [
    [
      'w1',
      'REGISTER',
      '{"contractVersion":"c0","releaseVersion":"r0","protocol":"REST","endpoint":"http://old"}',
      1,
    ],
    ['w1', 'HEARTBEAT', '{}', 2],
    ['w1', 'DRAIN', '{}', 3],
    [
      'w1',
      'REGISTER',
      '{"contractVersion":"c1","releaseVersion":"r1","protocol":"rest","endpoint":"http://w1","artifactDigest":"sha256:ab"}',
      10,
    ],
    ['w1', 'HEARTBEAT', '{}', 11],
    ['w1', 'DRAIN', '{}', 12],
    ['w1', 'DRAIN', '{}', 13],
    ['w1', 'UNAVAILABLE', '{"reason":"x"}', 14],
    [
      'w2',
      'REGISTER',
      '{"contractVersion":"c1","releaseVersion":"r1","protocol":"grpc","endpoint":"h:1"}',
      20,
    ],
    ['w2', 'DRAIN', '{}', 21],
    ['w2', 'UNDRAIN', '{}', 22],
    ['w2', 'UNAVAILABLE', '{}', 23],
    ['w2', 'HEARTBEAT', '{}', 24],
    ['ghost', 'HEARTBEAT', '{}', 30],
  ];
  for (const [workerId, type, data, at] of events)
    await db.execSql(
      'INSERT INTO worker_events (tenant_id, pipeline_id, worker_id, type, data_json, at) VALUES (?, ?, ?, ?, ?, ?)',
      ['default', 'p', workerId, type, data, T0 + at],
    );
  const store = await db.more();
  assert.deepEqual(await store.listWorkers('default', 'p'), [
    {
      tenantId: 'default',
      pipelineId: 'p',
      workerId: 'w1',
      contractVersion: 'c1',
      releaseVersion: 'r1',
      protocol: 'rest',
      endpoint: 'http://w1',
      artifactId: null,
      artifactDigest: 'sha256:ab',
      registeredAtMs: T0 + 10,
      lastHeartbeatAtMs: T0 + 11,
      drainingSinceMs: T0 + 12,
      unavailableSinceMs: T0 + 14,
    },
    {
      tenantId: 'default',
      pipelineId: 'p',
      workerId: 'w2',
      contractVersion: 'c1',
      releaseVersion: 'r1',
      protocol: 'grpc',
      endpoint: 'h:1',
      artifactId: null,
      artifactDigest: null,
      registeredAtMs: T0 + 20,
      lastHeartbeatAtMs: T0 + 24,
      drainingSinceMs: null,
      unavailableSinceMs: null,
    },
  ]);
});

forEachStore('the maintenance pass prunes worker history past the configured retention', async (t, kind) => {
  const pipeline = definePipeline({ id: 'p', input: z.object({ n: z.number() }) }).step('echo', {
    output: z.number(),
    run: ({ n }) => n,
  });
  const engine = await startEngine(t, [pipeline], { workerHistoryRetentionMs: 86_400_000 }, { store: kind });
  const history = () => engine.store.listWorkerEvents('default', 'p');
  assert.deepEqual(
    (await history()).map((e) => e.type),
    ['REGISTER'],
  );
  await engine.coordinator.tick();
  assert.equal((await history()).length, 1, 'within the retention: kept');
  engine.time.advance(86_400_001);
  await engine.coordinator.tick();
  assert.deepEqual(await history(), [], 'past the retention: pruned');
  const [worker] = await engine.coordinator.lifecycle.list('default', 'p');
  assert.equal(worker?.state, 'HEALTHY', 'the current state stays');
});
