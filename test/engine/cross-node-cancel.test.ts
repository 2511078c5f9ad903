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
import { definePipeline } from '../../src/sdk/index.ts';
import type { Store } from '../../src/store/store-port.ts';
import { eventually } from '../support/cluster.ts';
import { openPostgresStores } from '../support/test-stores.ts';

/** A step that blocks until its signal fires (or the test ends), and records that it did. */
const aborted: AbortSignal[] = [];
const release: (() => void)[] = [];
const blocking = definePipeline({ id: 'blocking', input: z.object({ n: z.number() }) }).step('block', {
  output: z.number(),
  run: (_input, ctx) => {
    aborted.push(ctx.signal);
    return new Promise<number>((resolve, reject) => {
      release.push(() => resolve(0));
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  },
});
const quick = definePipeline({ id: 'quick', input: z.object({ n: z.number() }) }).step('double', {
  output: z.number(),
  run: ({ n }) => n * 2,
});

/** One coordinator node on `store`, hosting `pipelines` in-process (none: it runs nothing). */
async function node(t: TestContext, store: Store, nodeId: string, pipelines: (typeof quick)[]) {
  const workers = new WorkerRegistry();
  const worker = new LocalWorker(`${nodeId}-local`);
  workers.add(worker);
  const coordinator: Coordinator = createCoordinator({
    store,
    workers,
    config: { nodeId, maxInFlight: 1, sweepIntervalMs: 60_000, stepTimeoutMs: 600_000 },
  });
  t.after(() => coordinator.stop());
  await coordinator.start();
  if (pipelines.length > 0)
    await hostLocalPipelines(
      coordinator,
      worker,
      pipelines.map((pipeline) => ({ pipeline })),
      {
        tenantId: 'default',
        nowMs: Date.now(),
      },
    );
  return coordinator;
}

test('cancel on one node aborts the segment running on another (PostgreSQL)', async (t) => {
  const db = await openPostgresStores(t);
  // Hooks run first to last: a step still blocked (the test failed) lets its node stop.
  t.after(() => release.forEach((r) => r()));
  const a = await node(t, db.store, 'node-a', [blocking, quick]);
  const b = await node(t, await db.more(), 'node-b', []);
  const { execution } = await a.submit('default', { pipelineId: 'blocking', input: { n: 1 } });
  const id = execution.executionId;
  await eventually('the step running on node A', async () => (aborted.length === 1 ? true : undefined));
  assert.equal((await b.status('default', id)).leaseOwner, 'node-a');

  const cancelled = await b.cancel('default', id);
  assert.equal(cancelled.status, 'CANCELLED');
  await eventually('the step on node A aborted', async () => (aborted[0]?.aborted ? true : undefined), {
    timeoutMs: 10_000,
  });

  // Node A's only slot is free again: another execution runs there.
  const next = await a.submit('default', { pipelineId: 'quick', input: { n: 21 } });
  const done = await eventually(
    'the next execution on node A',
    async () => {
      const x = await a.status('default', next.execution.executionId);
      return x.status === 'SUCCEEDED' ? x : undefined;
    },
    { timeoutMs: 10_000 },
  );
  assert.equal(done.result, 42);
  assert.equal(done.leaseOwner, null);
  const journal = await a.history('default', id, 0, 100);
  assert.equal((await a.status('default', id)).status, 'CANCELLED');
  assert.equal(
    journal.at(-1)?.type,
    'cancelled',
    'nothing of the aborted segment committed after the cancel',
  );
});
