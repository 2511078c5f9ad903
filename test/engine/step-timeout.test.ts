import assert from 'node:assert/strict';
import { z } from 'zod';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { eventually } from '../support/cluster.ts';
import { forEachStore } from '../support/test-stores.ts';

/** A step that never settles, whatever its signal says; records each try and its signal. */
function neverSettles(id: string, options: { timeout?: number } = {}) {
  const tries: AbortSignal[] = [];
  const pipeline = definePipeline({ id, input: z.object({ n: z.number() }) }).step('hang', {
    output: z.number(),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    run: (_input, ctx) => {
      tries.push(ctx.signal);
      return new Promise<number>(() => undefined);
    },
  });
  return { pipeline, tries };
}

const quick = definePipeline({ id: 'quick', input: z.object({ n: z.number() }) }).step('double', {
  output: z.number(),
  run: ({ n }) => n * 2,
});

const statusOf = (engine: Engine, id: string) => engine.coordinator.status('default', id);
const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
  eventually(what, probe, { timeoutMs: 10_000, intervalMs: 5 });

forEachStore(
  'a step that never settles fails its try with step_timeout, is retried, then goes to the DLQ',
  async (t, kind) => {
    const { pipeline, tries } = neverSettles('stuck', { timeout: 2000 });
    const engine = await startEngine(t, [pipeline], { maxRetries: 1, leaseMs: 3000 }, { store: kind });
    const { execution } = await engine.coordinator.submit('default', {
      pipelineId: 'stuck',
      input: { n: 1 },
    });
    const id = execution.executionId;
    await until('the first try', async () => (tries.length === 1 ? true : undefined));
    engine.time.advance(1000); // a lease renewal while the step is within its timeout
    const renewed = await until('the lease renewed', async () => {
      const x = await statusOf(engine, id);
      return (x.leaseExpiresAtMs ?? 0) > execution.createdAtMs + 3000 ? x : undefined;
    });
    assert.equal(renewed.status, 'RUNNING');
    engine.time.advance(1000); // past the step's timeout
    const retrying = await until('the timed-out try committed', async () => {
      const x = await statusOf(engine, id);
      return x.status === 'WAIT_RETRY' ? x : undefined;
    });
    assert.equal(retrying.errorCode, 'step_timeout');
    assert.equal(retrying.attempt, 1, 'the timed-out try counts against the retry budget');
    assert.equal(tries[0]?.aborted, true, "the step's signal told it to stop");
    // No renewal after the timeout: several renewal periods pass and nothing touches the lease.
    engine.time.advance(500);
    const journal = await engine.store.readJournal(id, 0, 100);
    assert.deepEqual(
      journal.map((e) => e.type),
      ['submitted', 'attempt_started', 'retry_scheduled'],
    );
    const after = await statusOf(engine, id);
    assert.equal(after.leaseOwner, null, 'the lease of the timed-out try is gone, not renewed');
    assert.equal(after.version, retrying.version);
    engine.time.advance(1000); // the retry falls due
    await until('the second try', async () => (tries.length === 2 ? true : undefined));
    engine.time.advance(2000);
    const dead = await until('the DLQ', async () => {
      const x = await statusOf(engine, id);
      return x.status === 'DLQ' ? x : undefined;
    });
    assert.equal(dead.errorCode, 'step_timeout');
    assert.equal(dead.leaseOwner, null);
  },
);

forEachStore('a step without a timeout of its own takes the configured default', async (t, kind) => {
  const { pipeline } = neverSettles('stuck-default');
  const engine = await startEngine(t, [pipeline], { maxRetries: 0, stepTimeoutMs: 500 }, { store: kind });
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'stuck-default',
    input: { n: 1 },
  });
  await until('the try running', async () =>
    (await statusOf(engine, execution.executionId)).status === 'RUNNING' ? true : undefined,
  );
  engine.time.advance(500);
  const dead = await until('the DLQ', async () => {
    const x = await statusOf(engine, execution.executionId);
    return x.status === 'DLQ' ? x : undefined;
  });
  assert.equal(dead.errorCode, 'step_timeout');
});

forEachStore('cancel frees the slot of a step that never settles', async (t, kind) => {
  const { pipeline, tries } = neverSettles('stuck-cancel');
  const engine = await startEngine(t, [pipeline, quick], { maxInFlight: 1 }, { store: kind });
  const stuck = await engine.coordinator.submit('default', { pipelineId: 'stuck-cancel', input: { n: 1 } });
  await until('the stuck try', async () => (tries.length === 1 ? true : undefined));
  const next = await engine.coordinator.submit('default', { pipelineId: 'quick', input: { n: 21 } });
  assert.equal((await statusOf(engine, next.execution.executionId)).status, 'QUEUED', 'the one slot is busy');
  const cancelled = await engine.coordinator.cancel('default', stuck.execution.executionId);
  assert.equal(cancelled.status, 'CANCELLED');
  assert.equal(tries[0]?.aborted, true, "the step's signal fired");
  const done = await until('the other execution ran', async () => {
    const x = await statusOf(engine, next.execution.executionId);
    return x.status === 'SUCCEEDED' ? x : undefined;
  });
  assert.equal(done.result, 42);
  assert.equal((await statusOf(engine, stuck.execution.executionId)).status, 'CANCELLED');
});
