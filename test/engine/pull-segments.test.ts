/**
 * The engine's side of pull workers, on both stores: the dispatcher never claims what a pull
 * worker is registered for, a poll claims only its own routes, and a result is committed under
 * the lease epoch it was claimed with, once.
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { hostLocalPipelines } from '../../src/coordinator/index.ts';
import { CapstanError } from '../../src/errors/catalog.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { encodeResult } from '../../src/worker-protocol/result-codec.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const N = z.object({ n: z.number() });
/** Run by the coordinator's local worker. */
const pushed = definePipeline({ id: 'pushed', input: N }).step('double', {
  output: N,
  run: ({ n }) => ({ n: n * 2 }),
});
/** Registered and active, but hosted by a pull worker only. */
const pulled = definePipeline({ id: 'pulled', input: N }).step('triple', {
  output: N,
  run: ({ n }) => ({ n: n * 3 }),
});

forEachStore(
  'a pull worker’s pipeline is claimed only by its polls, and completed once under its epoch',
  async (t, kind) => {
    const engine = await startEngine(t, [pushed], {}, { store: kind });
    const { coordinator, time } = engine;
    const [release] = await hostLocalPipelines(coordinator, undefined, [{ pipeline: pulled }], {
      tenantId: 'default',
      nowMs: time.now(),
    });
    assert.ok(release);
    await assert.rejects(
      coordinator.submit('default', { pipelineId: 'pulled', input: { n: 1 } }),
      (e: unknown) => e instanceof CapstanError && e.code === 'no_healthy_worker',
    );
    await coordinator.lifecycle.register(
      'default',
      'pulled',
      {
        workerId: 'puller',
        contractVersion: release.contractVersion,
        releaseVersion: release.releaseVersion,
        protocol: 'pull',
        endpoint: 'pull:puller',
      },
      { mayChangeEndpoint: false },
    );
    await coordinator.syncWorkerAvailability();

    const forPull = (await coordinator.submit('default', { pipelineId: 'pulled', input: { n: 2 } }))
      .execution;
    const forPush = (await coordinator.submit('default', { pipelineId: 'pushed', input: { n: 2 } }))
      .execution;
    await coordinator.tick();
    assert.equal((await coordinator.status('default', forPush.executionId)).status, 'SUCCEEDED');
    const waiting = await coordinator.status('default', forPull.executionId);
    assert.equal(waiting.status, 'QUEUED', 'the dispatcher pushes nothing of a pull worker’s pipeline');
    assert.equal(waiting.leaseEpoch, 0, 'nor claims it');

    const other = (await coordinator.submit('default', { pipelineId: 'pushed', input: { n: 3 } })).execution;
    const segments = await coordinator.pull.poll('default', 'puller', { max: 5, waitMs: 0 });
    assert.deepEqual(
      segments.map((s) => s.executionId),
      [forPull.executionId],
      'a poll claims only the routes the worker registered',
    );
    const [segment] = segments;
    assert.ok(segment);
    assert.equal(segment.command.pipelineId, 'pulled');
    assert.equal(segment.command.releaseVersion, release.releaseVersion);
    assert.equal((await coordinator.status('default', forPull.executionId)).leaseOwner, 'pull:puller');
    await coordinator.tick();
    assert.equal((await coordinator.status('default', other.executionId)).status, 'SUCCEEDED');

    const result = encodeResult(
      { outcome: 'COMPLETED', stepIndex: 0, output: { n: 6 } },
      { tenantId: 'default', executionId: forPull.executionId, currentStepIndex: 0 },
      [],
    );
    const report = { executionId: forPull.executionId, result };
    const stale = (e: unknown) => e instanceof CapstanError && e.code === 'lease_epoch_stale';
    await assert.rejects(
      coordinator.pull.complete('default', 'puller', { ...report, leaseEpoch: segment.leaseEpoch + 1 }),
      stale,
    );
    await assert.rejects(
      coordinator.pull.complete('default', 'someone-else', { ...report, leaseEpoch: segment.leaseEpoch }),
      stale,
      'another worker id cannot complete the lease',
    );
    const done = await coordinator.pull.complete('default', 'puller', {
      ...report,
      leaseEpoch: segment.leaseEpoch,
    });
    assert.equal(done.status, 'SUCCEEDED');
    await assert.rejects(
      coordinator.pull.complete('default', 'puller', { ...report, leaseEpoch: segment.leaseEpoch }),
      stale,
      'completed once',
    );
    const events = await coordinator.history('default', forPull.executionId, 0, 100);
    assert.equal(events.filter((e) => e.type === 'succeeded').length, 1);

    // A result that does not fit the contract is a failed try, never committed as it is.
    const again = (await coordinator.submit('default', { pipelineId: 'pulled', input: { n: 4 } })).execution;
    await coordinator.tick();
    const [next] = await coordinator.pull.poll('default', 'puller', { max: 1, waitMs: 0 });
    assert.equal(next?.executionId, again.executionId);
    const unfit = encodeResult(
      { outcome: 'COMPLETED', stepIndex: 0, output: { n: 'twelve' } },
      { tenantId: 'default', executionId: again.executionId, currentStepIndex: 0 },
      [],
    );
    await coordinator.pull.complete('default', 'puller', {
      executionId: again.executionId,
      leaseEpoch: next.leaseEpoch,
      result: unfit,
    });
    const failed = await coordinator.status('default', again.executionId);
    assert.equal(failed.status, 'WAIT_RETRY');
    assert.equal(failed.errorCode, 'worker_result_invalid');
  },
);
