// Re-drive onto a chosen release: v1 of a pipeline has a bug that sends executions to the DLQ,
// v2 (same contract) fixes it. Re-driven onto v2 (named, or as the active release) they finish
// there from the failed step, the completed step not run again; re-driven on their pin they fail
// on v1 again. A release that does not exist, or has another contract, is refused.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { hostLocalPipelines, LocalWorker } from '../../src/coordinator/index.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const input = z.object({ order: z.number() });

/** The pipeline as each release ships it: the same steps and schemas (one contract), other code. */
function release(version: 'v1' | 'v2', reserved: string[]) {
  const reserve = {
    output: z.number(),
    run: ({ order }: { order: number }) => {
      reserved.push(`${version}:${order}`);
      return order;
    },
  };
  return version === 'v1'
    ? definePipeline({ id: 'pay', input })
        .step('reserve', reserve)
        .step('charge', {
          output: z.number(),
          run: (order) => {
            throw new NonRetryableError(`charge of order ${order} used a bad rate`);
          },
        })
    : definePipeline({ id: 'pay', input })
        .step('reserve', reserve)
        .step('charge', { output: z.number(), run: (order) => order * 2 });
}

forEachStore('a DLQ execution re-driven onto the fixed release finishes there', async (t, kind) => {
  const reserved: string[] = [];
  const worker = new LocalWorker('test-local');
  const engine = await startEngine(t, [release('v1', reserved)], { maxRetries: 0 }, { store: kind, worker });
  const { coordinator, time } = engine;
  const ids: string[] = [];
  for (const order of [1, 2, 3]) {
    ids.push(
      (await coordinator.submit('default', { pipelineId: 'pay', input: { order } })).execution.executionId,
    );
  }
  await coordinator.tick();
  const [named = '', pinned = '', active = ''] = ids;
  for (const id of ids) assert.equal((await coordinator.status('default', id)).status, 'DLQ');
  const v1 = engine.releaseVersions.get('pay') ?? '';

  // v2 ships the fix and becomes the active release.
  const [v2] = await hostLocalPipelines(
    coordinator,
    worker,
    [{ pipeline: release('v2', reserved), releaseVersion: 'v2' }],
    {
      tenantId: 'default',
      nowMs: time.now(),
    },
  );
  assert.ok(v2 && v2.releaseVersion !== v1, 'another release');
  assert.equal(v2.contractVersion, (await coordinator.status('default', named)).contractVersion);

  const redriven = await coordinator.redrive('default', named, {
    targetRelease: { releaseVersion: v2.releaseVersion },
  });
  assert.equal(redriven.fromRelease, v1);
  assert.equal(redriven.execution.releaseVersion, v2.releaseVersion, 'the pin moved with the re-drive');
  await coordinator.redrive('default', pinned, {});
  await coordinator.redrive('default', active, { targetRelease: 'active' });
  await coordinator.tick();

  const done = await coordinator.status('default', named);
  assert.deepEqual([done.status, done.releaseVersion, done.result], ['SUCCEEDED', v2.releaseVersion, 2]);
  const again = await coordinator.status('default', pinned);
  assert.deepEqual([again.status, again.releaseVersion], ['DLQ', v1], 'its pin: the bug again');
  const onActive = await coordinator.status('default', active);
  assert.deepEqual([onActive.status, onActive.releaseVersion], ['SUCCEEDED', v2.releaseVersion]);
  assert.deepEqual(reserved.sort(), ['v1:1', 'v1:2', 'v1:3'], 'the completed step kept its output');

  const events = await coordinator.history('default', named, 0, 100);
  const event = events.find((e) => e.type === 'redriven');
  assert.deepEqual(
    { ...event?.data, nextAttempt: undefined },
    {
      previousStatus: 'DLQ',
      reason: 'operator',
      nextAttempt: undefined,
      targetRelease: { releaseVersion: v2.releaseVersion },
      fromRelease: v1,
      toRelease: v2.releaseVersion,
    },
  );
  const pinnedEvent = (await coordinator.history('default', pinned, 0, 100)).find(
    (e) => e.type === 'redriven',
  );
  assert.deepEqual(
    [pinnedEvent?.data.targetRelease, pinnedEvent?.data.fromRelease, pinnedEvent?.data.toRelease],
    ['pinned', v1, v1],
  );
});

forEachStore(
  'a release that is unknown or of another contract is refused, nothing written',
  async (t, kind) => {
    const worker = new LocalWorker('test-local');
    const engine = await startEngine(t, [release('v1', [])], { maxRetries: 0 }, { store: kind, worker });
    const { coordinator, time } = engine;
    const { execution } = await coordinator.submit('default', { pipelineId: 'pay', input: { order: 1 } });
    await coordinator.tick();
    const before = await coordinator.status('default', execution.executionId);
    assert.equal(before.status, 'DLQ');

    await assert.rejects(
      coordinator.redrive('default', execution.executionId, { targetRelease: { releaseVersion: 'no-such' } }),
      { code: 'release_not_found' },
    );
    // A release whose steps differ: another contract, and now the active one.
    const reshaped = definePipeline({ id: 'pay', input }).step('charge', {
      output: z.number(),
      run: ({ order }) => order,
    });
    const [v3] = await hostLocalPipelines(coordinator, worker, [{ pipeline: reshaped }], {
      tenantId: 'default',
      nowMs: time.now(),
    });
    assert.notEqual(v3?.contractVersion, before.contractVersion);
    for (const targetRelease of [{ releaseVersion: v3?.releaseVersion ?? '' }, 'active' as const])
      await assert.rejects(coordinator.redrive('default', execution.executionId, { targetRelease }), {
        code: 'release_incompatible',
      });
    const after = await coordinator.status('default', execution.executionId);
    assert.deepEqual(
      [after.status, after.version, after.releaseVersion],
      ['DLQ', before.version, before.releaseVersion],
    );
  },
);
