// Items through the engine (docs/items.md), on both stores: a pipeline expands 100 rows, each
// row runs its own step and its own await (completed through the interaction API), some rows
// fail to the DLQ, and the aggregate runs exactly once with every outcome in row order.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CapstanError } from '../../src/errors/catalog.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const Row = z.object({ n: z.number().int() });

/** A fresh pipeline per test, counting its aggregate's runs. */
function rowsPipeline(aggregated: unknown[][]) {
  return definePipeline({ id: 'rows', input: z.object({ count: z.number().int() }) })
    .expand('read-rows', {
      item: Row,
      // An async iterable, as a CSV reader would give.
      run: async function* ({ count }) {
        for (let n = 0; n < count; n += 1) yield { n };
      },
    })
    .step('validate', {
      output: z.object({ n: z.number(), doubled: z.number() }),
      run: ({ n }) => {
        // Every seventh row is bad: a non-retryable failure, straight to the DLQ.
        if (n % 7 === 3) throw new NonRetryableError(`row ${n} is invalid`, { code: 'invalid_row' });
        return { n, doubled: n * 2 };
      },
    })
    .await('provider', { response: z.object({ approved: z.boolean() }), deadline: 'PT5M' })
    .step('branch', {
      output: z.object({ approved: z.boolean() }),
      run: ({ approved }) => ({ approved }),
    })
    .aggregate('summary', {
      output: z.object({ approved: z.number(), rejected: z.number(), failed: z.number() }),
      run: (items) => {
        aggregated.push(items);
        const ok = items.flatMap((i) => (i.status === 'SUCCEEDED' ? [i.output] : []));
        return {
          approved: ok.filter((o) => o.approved).length,
          rejected: ok.filter((o) => !o.approved).length,
          failed: items.length - ok.length,
        };
      },
    });
}

/** Ticks until `done` holds (each tick runs everything due; the expansion fans out in rounds). */
async function tickUntil(engine: Engine, done: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    if (await done()) return;
    await engine.coordinator.tick();
  }
  assert.fail(`never reached: ${what}`);
}

forEachStore('100 items, each with its own await, aggregate exactly once in order', async (t, kind) => {
  const aggregated: unknown[][] = [];
  const engine = await startEngine(t, [rowsPipeline(aggregated)], {}, { store: kind });
  const { coordinator } = engine;
  const { execution } = await coordinator.submit('default', { pipelineId: 'rows', input: { count: 100 } });
  const parentId = execution.executionId;
  const bad = Array.from({ length: 100 }, (_, n) => n).filter((n) => n % 7 === 3);
  const pending = () => coordinator.pendingInteractions('default', { stepId: 'provider', limit: 1000 });
  await tickUntil(engine, async () => (await pending()).length === 100 - bad.length, 'every good row parked');
  const parent = await coordinator.status('default', parentId);
  assert.equal(parent.status, 'WAITING_ITEMS');
  assert.deepEqual(
    [parent.itemsTotal, parent.itemsFailed, parent.itemsOpen],
    [100, bad.length, 100 - bad.length],
  );
  for (const interaction of await pending()) {
    const { n } = interaction.requestPayload as { n: number };
    await coordinator.completeInteraction('default', {
      interactionId: interaction.interactionId,
      response: { approved: n % 2 === 0 },
    });
  }
  await tickUntil(
    engine,
    async () => (await coordinator.status('default', parentId)).status === 'SUCCEEDED',
    'the parent succeeded',
  );
  assert.equal(aggregated.length, 1, 'the aggregate ran exactly once');
  const outcomes = aggregated[0] as { index: number; status: string; errorCode?: string }[];
  assert.deepEqual(
    outcomes.map((o) => o.index),
    Array.from({ length: 100 }, (_, n) => n),
  );
  assert.deepEqual(
    outcomes.filter((o) => o.status === 'DLQ').map((o) => o.index),
    bad,
  );
  assert.equal(outcomes.find((o) => o.status === 'DLQ')?.errorCode, 'invalid_row');
  const good = Array.from({ length: 100 }, (_, n) => n).filter((n) => !bad.includes(n));
  const done = await coordinator.status('default', parentId);
  assert.deepEqual(done.result, {
    approved: good.filter((n) => n % 2 === 0).length,
    rejected: good.filter((n) => n % 2 === 1).length,
    failed: bad.length,
  });
  assert.deepEqual([done.itemsTotal, done.itemsOpen, done.itemsFailed], [100, 0, bad.length]);
  // The aggregate saw the failed rows' outcome; re-driving one now is refused.
  const failedRow = (
    await engine.store.listExecutions('default', {
      parentExecutionId: parentId,
      statuses: ['DLQ'],
      limit: 100,
    })
  )[0];
  assert.ok(failedRow);
  await assert.rejects(
    coordinator.redrive('default', failedRow.executionId, {}),
    (e: unknown) => e instanceof CapstanError && e.code === 'item_already_aggregated' && e.status === 409,
  );
  // Ticking again runs nothing more.
  await coordinator.tick();
  assert.equal(aggregated.length, 1);
});

forEachStore('an expand without an aggregate ends with the outcomes as its result', async (t, kind) => {
  const pipeline = definePipeline({ id: 'fan', input: z.object({ words: z.array(z.string()) }) })
    .expand('split', { item: z.string(), run: ({ words }) => words })
    .step('shout', {
      output: z.string(),
      run: (word) => {
        if (word === 'bad') throw new NonRetryableError('no', { code: 'bad_word' });
        return word.toUpperCase();
      },
    });
  const engine = await startEngine(t, [pipeline], {}, { store: kind });
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'fan',
    input: { words: ['a', 'bad', 'c'] },
  });
  await tickUntil(
    engine,
    async () => (await engine.coordinator.status('default', execution.executionId)).status === 'SUCCEEDED',
    'the parent succeeded',
  );
  const done = await engine.coordinator.status('default', execution.executionId);
  assert.deepEqual(done.result, [
    { index: 0, status: 'SUCCEEDED', output: 'A' },
    { index: 1, status: 'DLQ', errorCode: 'bad_word', errorMessage: 'no' },
    { index: 2, status: 'SUCCEEDED', output: 'C' },
  ]);
});

forEachStore('more items than the limit fail the expand step to the DLQ', async (t, kind) => {
  const pipeline = definePipeline({ id: 'many', input: z.object({ count: z.number() }) })
    .expand('split', { item: z.number(), run: ({ count }) => Array.from({ length: count }, (_, i) => i) })
    .step('echo', { output: z.number(), run: (n) => n });
  const engine = await startEngine(t, [pipeline], { maxItemsPerExecution: 5 }, { store: kind });
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'many',
    input: { count: 6 },
  });
  await engine.coordinator.tick();
  const failed = await engine.coordinator.status('default', execution.executionId);
  assert.deepEqual(
    [failed.status, failed.errorCode, failed.itemsTotal],
    ['DLQ', 'items_limit_exceeded', null],
  );
});
