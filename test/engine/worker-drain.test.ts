// Draining a worker: it takes no new executions (submissions need a HEALTHY worker of the
// active release), but the executions already pinned to its release still run on it while no
// HEALTHY worker hosts that release, so a retired release finishes where it started.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { hostLocalPipelines, LocalWorker } from '../../src/coordinator/index.ts';
import { WorkerRegistry } from '../../src/coordinator/workers/worker-registry.ts';
import type { SegmentCommand, SegmentHooks, SegmentResult } from '../../src/segment/transition-worker.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const approval = definePipeline({ id: 'approval', input: z.object({ n: z.number() }) })
  .step('prepare', { output: z.object({ n: z.number() }), run: (input) => input })
  .await('decide', { response: z.object({ ok: z.boolean() }), deadline: 'PT1H' })
  .step('finish', { output: z.object({ ok: z.boolean() }), run: (decision) => decision });

/** A local worker that notes the executions it ran a segment of. */
class NotingWorker extends LocalWorker {
  readonly ran = new Set<string>();
  override execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    this.ran.add(command.executionId);
    return super.execute(command, hooks);
  }
}

const route = { tenantId: 'default', pipelineId: 'approval', releaseVersion: 'r1' };

function registryOf(...ids: string[]) {
  const workers = new WorkerRegistry();
  const hosted = (releaseVersion: string) => ({
    ...route,
    releaseVersion,
    contractVersion: 'c',
    pipeline: approval,
  });
  for (const id of ids) workers.add(new LocalWorker(id, [hosted(id === 'w-r2' ? 'r2' : 'r1')]));
  return workers;
}

test('routing: a drained worker takes its release’s pinned work only while no healthy worker hosts it', () => {
  const workers = registryOf('w1', 'w2', 'w-r2');
  const set = (id: string, state: 'HEALTHY' | 'DRAINING' | 'STALE') =>
    workers.setAvailable(id, 'default', 'approval', state, workers.beginRead());
  set('w-r2', 'HEALTHY');
  set('w1', 'DRAINING');
  set('w2', 'STALE');
  assert.equal(workers.has(route), false, 'no new execution is admitted to r1');
  assert.equal(workers.canRun(route), true, 'its pinned executions still have a worker');
  assert.equal(workers.pick(route)?.workerId, 'w1');
  assert.deepEqual(
    workers
      .routes()
      .map((r) => r.releaseVersion)
      .sort(),
    ['r1', 'r2'],
    'the claim still takes r1',
  );

  set('w2', 'HEALTHY');
  assert.equal(workers.has(route), true);
  for (let i = 0; i < 4; i++)
    assert.equal(workers.pick(route)?.workerId, 'w2', 'the healthy one takes it all');

  set('w2', 'STALE');
  set('w1', 'STALE');
  assert.equal(workers.canRun(route), false);
  assert.equal(workers.pick(route), undefined);
  assert.deepEqual(
    workers.routes().map((r) => r.releaseVersion),
    ['r2'],
  );
});

async function parkedExecution(engine: Engine): Promise<string> {
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'approval',
    input: { n: 1 },
  });
  await engine.coordinator.tick();
  assert.equal(
    (await engine.coordinator.status('default', execution.executionId)).status,
    'WAITING_EXTERNAL',
  );
  return execution.executionId;
}

async function complete(engine: Engine, executionId: string): Promise<void> {
  const [interaction] = (await engine.coordinator.pendingInteractions('default', { limit: 100 })).filter(
    (i) => i.executionId === executionId,
  );
  assert.ok(interaction, `an open interaction for ${executionId}`);
  await engine.coordinator.completeInteraction('default', {
    interactionId: interaction.interactionId,
    response: { ok: true },
  });
  await engine.coordinator.tick();
}

async function signal(engine: Engine, workerId: string, type: 'DRAIN' | 'UNDRAIN'): Promise<void> {
  await engine.coordinator.lifecycle.signal('default', 'approval', workerId, type);
  await engine.coordinator.syncWorkerAvailability({ tenantId: 'default', pipelineId: 'approval' });
}

forEachStore(
  'a drained worker admits no new execution and finishes those pinned to its release',
  async (t, kind) => {
    const worker = new NotingWorker('v1-worker');
    const engine = await startEngine(t, [approval], {}, { store: kind, worker });
    const parked = await parkedExecution(engine);

    await signal(engine, 'v1-worker', 'DRAIN');
    await assert.rejects(engine.coordinator.submit('default', { pipelineId: 'approval', input: { n: 2 } }), {
      code: 'no_healthy_worker',
    });
    assert.equal(engine.coordinator.hasWorkerFor(await engine.coordinator.status('default', parked)), true);
    worker.ran.clear();
    await complete(engine, parked);
    const done = await engine.coordinator.status('default', parked);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(done.result, { ok: true });
    assert.ok(worker.ran.has(parked), 'it finished on the drained worker');

    await signal(engine, 'v1-worker', 'UNDRAIN');
    const { execution } = await engine.coordinator.submit('default', {
      pipelineId: 'approval',
      input: { n: 3 },
    });
    assert.equal(execution.status, 'QUEUED');
  },
);

forEachStore('with a healthy worker for the same release, a drained one gets nothing', async (t, kind) => {
  const drained = new NotingWorker('drained');
  const engine = await startEngine(t, [approval], {}, { store: kind, worker: drained });
  const peer = new NotingWorker('peer');
  engine.coordinator.workers.add(peer);
  await hostLocalPipelines(engine.coordinator, peer, [{ pipeline: approval }], {
    tenantId: 'default',
    nowMs: engine.time.now(),
  });
  const parked = await parkedExecution(engine);
  await signal(engine, 'drained', 'DRAIN');
  drained.ran.clear();
  const fresh = await parkedExecution(engine);
  await complete(engine, parked);
  assert.equal((await engine.coordinator.status('default', parked)).status, 'SUCCEEDED');
  assert.deepEqual([...drained.ran], [], 'the drained worker ran nothing');
  assert.ok(peer.ran.has(parked) && peer.ran.has(fresh));
});

const pulled = definePipeline({ id: 'pulled', input: z.object({ n: z.number() }) }).step('triple', {
  output: z.object({ n: z.number() }),
  run: ({ n }) => ({ n: n * 3 }),
});

forEachStore(
  'a drained pull worker pulls its release’s pinned work only while no healthy worker hosts it',
  async (t, kind) => {
    const engine = await startEngine(t, [], {}, { store: kind });
    const { coordinator, time } = engine;
    const [release] = await hostLocalPipelines(coordinator, undefined, [{ pipeline: pulled }], {
      tenantId: 'default',
      nowMs: time.now(),
    });
    assert.ok(release);
    const register = (workerId: string) =>
      coordinator.lifecycle.register(
        'default',
        'pulled',
        {
          workerId,
          contractVersion: release.contractVersion,
          releaseVersion: release.releaseVersion,
          protocol: 'pull',
          endpoint: `pull:${workerId}`,
        },
        { mayChangeEndpoint: false },
      );
    await register('old-puller');
    await coordinator.syncWorkerAvailability();
    const first = (await coordinator.submit('default', { pipelineId: 'pulled', input: { n: 1 } })).execution;
    await coordinator.lifecycle.signal('default', 'pulled', 'old-puller', 'DRAIN');
    await coordinator.syncWorkerAvailability();
    await assert.rejects(coordinator.submit('default', { pipelineId: 'pulled', input: { n: 2 } }), {
      code: 'no_healthy_worker',
    });
    const polled = await coordinator.pull.poll('default', 'old-puller', { max: 5, waitMs: 0 });
    assert.deepEqual(
      polled.map((s) => s.executionId),
      [first.executionId],
      'the drained worker still takes what is pinned to its release',
    );

    await register('new-puller');
    await coordinator.syncWorkerAvailability();
    const second = (await coordinator.submit('default', { pipelineId: 'pulled', input: { n: 2 } })).execution;
    assert.deepEqual(await coordinator.pull.poll('default', 'old-puller', { max: 5, waitMs: 0 }), []);
    assert.deepEqual(
      (await coordinator.pull.poll('default', 'new-puller', { max: 5, waitMs: 0 })).map((s) => s.executionId),
      [second.executionId],
    );
  },
);
