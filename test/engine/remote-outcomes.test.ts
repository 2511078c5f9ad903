import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import type { EngineConfig } from '../../src/coordinator/engine-config.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { LocalWorker } from '../../src/coordinator/workers/local-worker.ts';
import type { SegmentCommand, SegmentHooks, SegmentResult } from '../../src/segment/transition-worker.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

/**
 * A worker whose next answers are scripted (what a remote worker's transport can report),
 * and that runs the segment for real once the script is spent.
 */
class ScriptedWorker extends LocalWorker {
  readonly script: SegmentResult[] = [];
  readonly commands: SegmentCommand[] = [];

  override async execute(command: SegmentCommand, hooks: SegmentHooks): Promise<SegmentResult> {
    this.commands.push(command);
    return this.script.shift() ?? super.execute(command, hooks);
  }
}

function charging() {
  const keys: string[] = [];
  const runs = { reserve: 0, charge: 0 };
  const pipeline = definePipeline({ id: 'charge', input: z.object({ cents: z.number() }) })
    .step('reserve', {
      output: z.object({ cents: z.number() }),
      run: (input) => {
        runs.reserve++;
        return input;
      },
    })
    .step('charge', {
      output: z.object({ charged: z.number() }),
      run: ({ cents }, ctx) => {
        runs.charge++;
        keys.push(ctx.idempotencyKey);
        return { charged: cents };
      },
    });
  return { pipeline, keys, runs };
}

const unknown: SegmentResult = { outcome: 'OUTCOME_UNKNOWN', reason: 'no answer within 30000 ms' };

async function start(t: TestContext, kind: StoreKind, config: Partial<EngineConfig> = {}) {
  const worker = new ScriptedWorker('scripted');
  const { pipeline, keys, runs } = charging();
  const engine = await startEngine(t, [pipeline], config, { store: kind, worker });
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: 'charge',
    input: { cents: 5 },
  });
  return { engine, worker, keys, runs, id: execution.executionId };
}

const status = (engine: Engine, id: string) => engine.coordinator.status('default', id);

async function runDue(engine: Engine, id: string): Promise<ExecutionRecord> {
  const current = await status(engine, id);
  engine.time.advance(Math.max(0, (current.nextDueAtMs ?? 0) - engine.time.now()));
  await engine.coordinator.tick();
  return status(engine, id);
}

forEachStore(
  'remote outcome unknown, policy retry: a failed try whose retries keep the idempotency key',
  async (t, kind) => {
    const { engine, worker, keys, id } = await start(t, kind);
    worker.script.push(unknown, unknown);
    await engine.coordinator.tick();
    const first = await status(engine, id);
    assert.equal(first.status, 'WAIT_RETRY');
    assert.equal(first.attempt, 1, 'it counts as a failed try');
    assert.equal(first.errorCode, 'REMOTE_OUTCOME_UNKNOWN');
    assert.match(first.errorMessage ?? '', /no answer/);
    assert.equal((await runDue(engine, id)).attempt, 2);
    const done = await runDue(engine, id);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(
      worker.commands.map((c) => [c.attempt, c.idempotencyAttempt]),
      [
        [0, undefined],
        [1, 0],
        [2, 0],
      ],
    );
    assert.deepEqual(keys, [`${id}:charge`], 'the step ran once, with its stable key');
  },
);

forEachStore(
  'remote outcome unknown: retries exhausted go to the DLQ as remote_outcome_unknown',
  async (t, kind) => {
    const { engine, worker, id } = await start(t, kind, { maxRetries: 1 });
    worker.script.push(unknown, unknown);
    await engine.coordinator.tick();
    const dead = await runDue(engine, id);
    assert.equal(dead.status, 'DLQ');
    assert.equal(dead.dlqReason, 'remote_outcome_unknown');
    assert.equal(dead.errorCode, 'REMOTE_OUTCOME_UNKNOWN');
  },
);

forEachStore('remote outcome unknown, policy dlq: straight to the DLQ for an operator', async (t, kind) => {
  const { engine, worker, keys, id } = await start(t, kind, { remoteOutcomeUnknownPolicy: 'dlq' });
  worker.script.push(unknown);
  await engine.coordinator.tick();
  const dead = await status(engine, id);
  assert.equal(dead.status, 'DLQ');
  assert.equal(dead.dlqReason, 'remote_outcome_unknown');
  assert.equal(dead.attempt, 0);
  assert.equal(engine.dlq[0]?.payload.terminalReason, 'remote_outcome_unknown');
  const redriven = await engine.coordinator.redrive('default', id, {});
  assert.equal(redriven.execution.status, 'QUEUED');
  await engine.coordinator.tick();
  assert.equal((await status(engine, id)).status, 'SUCCEEDED');
  assert.deepEqual(keys, [`${id}:charge`]);
  assert.deepEqual(
    worker.commands.map((c) => c.attempt),
    [0, 1],
    'the try after the re-drive is numbered after the one before it',
  );
});

forEachStore(
  'an unreachable worker: UNAVAILABLE until it heartbeats, no attempt spent, then the segment runs',
  async (t, kind) => {
    const { engine, worker, id } = await start(t, kind);
    worker.script.push({ outcome: 'UNREACHABLE', reason: 'ECONNREFUSED' });
    await engine.coordinator.tick();
    const waiting = await status(engine, id);
    assert.equal(waiting.attempt, 0, 'nothing ran, so no attempt is spent');
    assert.equal(waiting.errorCode, 'worker_unreachable');
    assert.equal(waiting.nextDueAtMs, engine.time.now(), 'due at once, for another worker');
    const [record] = await engine.coordinator.lifecycle.list('default', 'charge');
    assert.equal(record?.state, 'UNAVAILABLE');
    assert.equal(engine.coordinator.hasWorkerFor(waiting), false, 'the status shows waitingFor: worker');
    await engine.coordinator.tick();
    assert.equal(worker.commands.length, 1, 'not dispatched to while UNAVAILABLE');
    engine.time.advance(engine.coordinator.config.workerStaleAfterMs / 3);
    await engine.coordinator.tick();
    const done = await status(engine, id);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(worker.commands[1]?.attempt, 0);
  },
);

forEachStore(
  'outputs a remote worker completed before a failure are checkpointed: those steps never run again',
  async (t, kind) => {
    const { engine, worker, runs, id } = await start(t, kind);
    worker.script.push({
      outcome: 'FAILED',
      stepIndex: 1,
      failure: {
        failureClass: 'Error',
        code: 'card_timeout',
        message: 'x',
        nonRetryable: false,
        skipDlq: false,
      },
      outputs: [{ stepIndex: 0, output: { cents: 5 } }],
    });
    await engine.coordinator.tick();
    const failed = await status(engine, id);
    assert.equal(failed.stepIndex, 1, 'step 0 is checkpointed');
    assert.equal(failed.attempt, 1);
    const done = await runDue(engine, id);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(done.result, { charged: 5 });
    assert.deepEqual(runs, { reserve: 0, charge: 1 }, 'the retry started at step 1');
  },
);
