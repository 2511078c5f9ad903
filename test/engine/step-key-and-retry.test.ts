import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import type { EngineConfig } from '../../src/coordinator/engine-config.ts';
import { LocalWorker } from '../../src/coordinator/workers/local-worker.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import type { SegmentCommand, SegmentHooks, SegmentResult } from '../../src/segment/transition-worker.ts';
import { definePipeline, type StepContext, type StepRetryOptions } from '../../src/sdk/index.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

/**
 * `ctx.idempotencyKey` is the step's alone (the same on every try, across re-drives); try
 * numbers never repeat; a step's own `retry` option overrides the global retry settings,
 * and the coordinator reads it from the release's contract.
 */

/** A worker whose next answers are scripted, then runs segments for real (as remote-outcomes does). */
class ScriptedWorker extends LocalWorker {
  readonly script: SegmentResult[] = [];
  readonly commands: SegmentCommand[] = [];

  override async execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    this.commands.push(command);
    return this.script.shift() ?? super.execute(command, hooks);
  }
}

type Seen = Pick<StepContext, 'attempt' | 'idempotencyKey' | 'attemptKey'>;

/** `prepare`, then `charge`, which fails its first `failures` tries. */
function charging(failures: number, retry?: StepRetryOptions) {
  const seen: Seen[] = [];
  const pipeline = definePipeline({ id: 'pay', input: z.object({ cents: z.number() }) })
    .step('prepare', { output: z.number(), run: ({ cents }) => cents })
    .step('charge', {
      output: z.object({ charged: z.number() }),
      ...(retry === undefined ? {} : { retry }),
      run: (cents, { attempt, idempotencyKey, attemptKey }) => {
        seen.push({ attempt, idempotencyKey, attemptKey });
        if (seen.length <= failures)
          throw Object.assign(new Error('the provider timed out'), { code: 'provider_timeout' });
        return { charged: cents };
      },
    });
  return { pipeline, seen };
}

async function start(
  t: TestContext,
  kind: StoreKind,
  pipeline: ReturnType<typeof charging>['pipeline'],
  config: Partial<EngineConfig>,
  worker?: LocalWorker,
) {
  const engine = await startEngine(
    t,
    [pipeline],
    { jitter: 0, ...config },
    {
      store: kind,
      ...(worker === undefined ? {} : { worker }),
    },
  );
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'pay',
    input: { cents: 5 },
  });
  return { engine, id: execution.executionId };
}

const status = (engine: Engine, id: string) => engine.coordinator.status('default', id);

/** Runs the execution's next due try; returns the new state and the delay it was given. */
async function runDue(engine: Engine, id: string): Promise<ExecutionRecord> {
  const current = await status(engine, id);
  engine.time.advance(Math.max(0, (current.nextDueAtMs ?? 0) - engine.time.now()));
  await engine.coordinator.tick();
  return status(engine, id);
}

const delayOf = (engine: Engine, x: ExecutionRecord) => (x.nextDueAtMs ?? Number.NaN) - engine.time.now();

forEachStore(
  "one key across retries and a re-drive; try numbers keep counting; the step's own retry policy",
  async (t, kind) => {
    const { pipeline, seen } = charging(3, { maxRetries: 1, delay: 50, multiplier: 1 });
    // The global policy would allow 3 retries, 1 s apart: the step's own allows 1, 50 ms after.
    const { engine, id } = await start(t, kind, pipeline, { maxRetries: 3 });
    await engine.coordinator.tick();
    const first = await status(engine, id);
    assert.equal(first.status, 'WAIT_RETRY');
    assert.equal(delayOf(engine, first), 50, "the step's own delay, not the global 1000 ms");
    const dead = await runDue(engine, id);
    assert.equal(dead.status, 'DLQ', "the step's maxRetries: 1, not the global 3");
    assert.equal(dead.dlqReason, 'retry_exhausted');

    const redriven = await engine.coordinator.redrive('default', id, {});
    assert.equal(redriven.execution.attempt, 0, 'a re-drive grants a fresh retry budget');
    await engine.coordinator.tick();
    const again = await status(engine, id);
    assert.equal(again.status, 'WAIT_RETRY', 'the fresh budget allows a retry after the re-drive');
    const done = await runDue(engine, id);
    assert.equal(done.status, 'SUCCEEDED');

    assert.deepEqual(
      seen.map((s) => s.attempt),
      [0, 1, 2, 3],
      'the tries after the re-drive are numbered after the ones before it',
    );
    assert.deepEqual(new Set(seen.map((s) => s.idempotencyKey)), new Set([`${id}:charge`]));
    assert.deepEqual(
      seen.map((s) => s.attemptKey),
      [0, 1, 2, 3].map((n) => `${id}:charge:${n}`),
    );
  },
);

forEachStore('a step without its own retry option is retried by the global settings', async (t, kind) => {
  const { pipeline, seen } = charging(10);
  const { engine, id } = await start(t, kind, pipeline, { maxRetries: 2, retryMultiplier: 2 });
  await engine.coordinator.tick();
  const first = await status(engine, id);
  assert.equal(delayOf(engine, first), 1000, 'the global retry delay');
  const second = await runDue(engine, id);
  assert.equal(delayOf(engine, second), 2000, 'the global multiplier');
  const dead = await runDue(engine, id);
  assert.equal(dead.status, 'DLQ');
  assert.equal(seen.length, 3, 'the global maxRetries: 2');
});

forEachStore("a step's multiplier and maxDelay shape its delays", async (t, kind) => {
  const { pipeline } = charging(10, { maxRetries: 3, delay: 'PT0.1S', multiplier: 3, maxDelay: 500 });
  const { engine, id } = await start(t, kind, pipeline, {});
  await engine.coordinator.tick();
  const delays: number[] = [];
  let x = await status(engine, id);
  while (x.status === 'WAIT_RETRY') {
    delays.push(delayOf(engine, x));
    x = await runDue(engine, id);
  }
  assert.deepEqual(delays, [100, 300, 500]);
  assert.equal(x.status, 'DLQ');
});

forEachStore(
  "an unknown remote outcome is retried by the step's policy, which the coordinator reads from the contract",
  async (t, kind) => {
    const worker = new ScriptedWorker('scripted');
    const { pipeline } = charging(1, { maxRetries: 1, delay: 50 });
    const { engine, id } = await start(t, kind, pipeline, { maxRetries: 3 }, worker);
    await engine.coordinator.tick();
    assert.equal((await status(engine, id)).status, 'WAIT_RETRY', 'charge failed its first try');
    worker.script.push({ outcome: 'OUTCOME_UNKNOWN', reason: 'no answer within 30000 ms' });
    const dead = await runDue(engine, id);
    assert.equal(dead.status, 'DLQ', "the step's maxRetries: 1, not the global 3");
    assert.equal(dead.dlqReason, 'remote_outcome_unknown');
    assert.equal(dead.stepIndex, 1);
    assert.deepEqual(
      worker.commands.map((c) => c.attempt),
      [0, 1],
    );
  },
);

forEachStore("a lease lost with its node is reclaimed by the step's own retry policy", async (t, kind) => {
  const pipeline = definePipeline({ id: 'once', input: z.object({ n: z.number() }) }).step('send', {
    output: z.number(),
    retry: { maxRetries: 0 },
    run: ({ n }) => n,
  });
  const engine = await startEngine(t, [pipeline], { maxRetries: 3 }, { store: kind });
  const releaseVersion = engine.releaseVersions.get('once') ?? '';
  await engine.coordinator.tick();
  await engine.store.submit({
    tenantId: 'default',
    executionId: 'lost',
    pipelineId: 'once',
    contractVersion: buildContract(pipeline).contractVersion,
    releaseVersion,
    executionKey: 'k',
    inputFingerprint: 'fp',
    input: { n: 1 },
    nowMs: engine.time.now(),
  });
  // Claimed by a node that then dies, holding the lease.
  const leaseMs = engine.coordinator.config.leaseMs;
  await engine.store.claimDue({
    nowMs: engine.time.now(),
    limit: 1,
    owner: 'dead-node',
    leaseMs,
    routes: [{ tenantId: 'default', pipelineId: 'once', releaseVersion }],
  });
  engine.time.advance(leaseMs + 1);
  await engine.coordinator.tick();
  const dead = await status(engine, 'lost');
  assert.equal(dead.status, 'DLQ', "the step's maxRetries: 0, not the global 3");
  assert.equal(dead.dlqReason, 'lease_lost_exhausted');
});
