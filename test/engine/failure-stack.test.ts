// A failing step's stack is kept with the failure (its journal event), truncated, and read back
// for the execution's status while that failure is the one its state records.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MAX_STACK_FRAMES } from '../../src/domain/error-stack.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

/** Throws from `depth` calls down, so the stack has more frames than are kept. */
function chargeCard(depth: number): never {
  if (depth > 0) return chargeCard(depth - 1);
  throw Object.assign(new Error('card network unreachable'), { code: 'network_down' });
}

const pipeline = definePipeline({ id: 'pay', input: z.object({ depth: z.number() }) }).step('charge', {
  output: z.number(),
  run: ({ depth }) => chargeCard(depth),
});

forEachStore(
  'the stack of a failing step is kept, truncated, through retries and into the DLQ',
  async (t, kind) => {
    // V8 records 10 frames by default; a process that records more still keeps only the first 20.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    t.after(() => (Error.stackTraceLimit = limit));
    const { coordinator, time } = await startEngine(t, [pipeline], { maxRetries: 1 }, { store: kind });
    const { execution } = await coordinator.submit('default', { pipelineId: 'pay', input: { depth: 40 } });
    const id = execution.executionId;

    await coordinator.tick();
    const waiting = await coordinator.status('default', id);
    assert.equal(waiting.status, 'WAIT_RETRY');
    const stack = (await coordinator.failureStack(waiting)) ?? '';
    assert.match(stack, /^Error: card network unreachable\n\s+at chargeCard .*failure-stack\.test\.ts/);
    const lines = stack.split('\n');
    assert.equal(lines.filter((l) => /^\s+at /.test(l)).length, MAX_STACK_FRAMES, 'the first frames only');
    assert.match(lines.at(-1) ?? '', /^\s+\.\.\. \d+ more frames$/);

    time.advance((waiting.nextDueAtMs ?? 0) - time.now());
    await coordinator.tick();
    const dead = await coordinator.status('default', id);
    assert.equal(dead.status, 'DLQ');
    assert.match((await coordinator.failureStack(dead)) ?? '', /^Error: card network unreachable\n/);
    const journal = await coordinator.history('default', id, 0, 100);
    const failures = journal.filter((e) => typeof e.data.errorStack === 'string').map((e) => e.type);
    assert.equal(failures.length, 2, `each try's failure keeps its stack: ${failures.join(', ')}`);

    await coordinator.redrive('default', id, {});
    assert.equal(
      await coordinator.failureStack(await coordinator.status('default', id)),
      undefined,
      'a re-driven execution no longer shows the old failure as its own',
    );
  },
);
