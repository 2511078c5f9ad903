// Two coordinator nodes on one PostgreSQL run the items of one expansion side by side: items
// end on both at once, each settling with the parent under its row lock, and the aggregate is
// released, and runs, exactly once, with every outcome in item order.
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

const ITEMS = 60;
const ranOn: Record<string, number> = {};
const aggregates: { node: string; indexes: number[] }[] = [];

function pipelineFor(nodeId: string) {
  return definePipeline({ id: 'split-work', input: z.object({ count: z.number() }) })
    .expand('split', { item: z.number(), run: ({ count }) => Array.from({ length: count }, (_, i) => i) })
    .step('work', {
      output: z.number(),
      run: async (n) => {
        ranOn[nodeId] = (ranOn[nodeId] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 100));
        return n * 10;
      },
    })
    .aggregate('sum', {
      output: z.number(),
      run: (items) => {
        aggregates.push({ node: nodeId, indexes: items.map((i) => i.index) });
        return items.reduce((sum, i) => sum + (i.status === 'SUCCEEDED' ? i.output : 0), 0);
      },
    });
}

/** One node hosting the pipeline in-process: both nodes' releases are the same build. */
async function node(t: TestContext, store: Store, nodeId: string): Promise<Coordinator> {
  const workers = new WorkerRegistry();
  const worker = new LocalWorker(`${nodeId}-local`);
  workers.add(worker);
  const coordinator = createCoordinator({
    store,
    workers,
    config: { nodeId, maxInFlight: 4, sweepIntervalMs: 1000 },
  });
  t.after(() => coordinator.stop());
  await coordinator.start();
  await hostLocalPipelines(coordinator, worker, [{ pipeline: pipelineFor(nodeId) }], {
    tenantId: 'default',
    nowMs: Date.now(),
  });
  return coordinator;
}

test('two nodes share the items of one expansion; the aggregate runs once (PostgreSQL)', async (t) => {
  const db = await openPostgresStores(t);
  const a = await node(t, db.store, 'node-a');
  const b = await node(t, await db.more(), 'node-b');
  const { execution } = await a.submit('default', { pipelineId: 'split-work', input: { count: ITEMS } });
  const done = await eventually(
    'the parent succeeds',
    async () => {
      const x = await b.status('default', execution.executionId);
      return x.status === 'SUCCEEDED' ? x : undefined;
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(done.result, (10 * ITEMS * (ITEMS - 1)) / 2);
  assert.ok(
    (ranOn['node-a'] ?? 0) > 0 && (ranOn['node-b'] ?? 0) > 0,
    `both nodes ran items: ${JSON.stringify(ranOn)}`,
  );
  assert.equal(aggregates.length, 1, 'the aggregate ran exactly once');
  assert.deepEqual(
    aggregates[0]?.indexes,
    Array.from({ length: ITEMS }, (_, i) => i),
  );
  const journal = await db.store.readJournal(execution.executionId, 0, 100);
  assert.equal(journal.filter((e) => e.type === 'items_completed').length, 1);
});
