import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import type { EngineConfig } from '../../src/coordinator/engine-config.ts';
import { CapstanError } from '../../src/errors/catalog.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import type { ExecutionRecord } from '../../src/store/records.ts';
import { definePipeline, NonRetryableError, type Pipeline, type StepContext } from '../../src/sdk/index.ts';
import { startEngine, type Engine } from '../support/engine-harness.ts';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

const RETRY_DELAY_MS = 1000; // the harness default

/** A 3-step pipeline whose middle step fails `failures` times, recording what each step saw. */
function flaky(failures: number, options: { dlq?: boolean; nonRetryable?: boolean } = {}) {
  const runs = { first: 0, second: 0, third: 0 };
  const seen: Pick<
    StepContext,
    'stepId' | 'stepIndex' | 'attempt' | 'idempotencyKey' | 'attemptKey' | 'executionId'
  >[] = [];
  const see = ({ stepId, stepIndex, attempt, idempotencyKey, attemptKey, executionId }: StepContext) =>
    seen.push({ stepId, stepIndex, attempt, idempotencyKey, attemptKey, executionId });
  const pipeline = definePipeline({ id: 'flaky', input: z.object({ n: z.number() }) })
    .step('first', {
      output: z.number(),
      run: ({ n }, ctx) => {
        runs.first++;
        see(ctx);
        return n + 1;
      },
    })
    .step('second', {
      output: z.number(),
      ...(options.dlq === undefined ? {} : { dlq: options.dlq }),
      run: (x, ctx) => {
        runs.second++;
        see(ctx);
        if (runs.second <= failures) {
          if (options.nonRetryable) throw new NonRetryableError('card declined', { code: 'card_declined' });
          throw Object.assign(new Error(`transient failure #${runs.second}`), { code: 'flaky_backend' });
        }
        return x * 2;
      },
    })
    .step('third', {
      output: z.object({ result: z.number() }),
      run: (x, ctx) => {
        runs.third++;
        see(ctx);
        return { result: x };
      },
    });
  return { pipeline, runs, seen };
}

async function start(
  t: TestContext,
  kind: StoreKind,
  pipeline: Pipeline,
  config: Partial<EngineConfig> = {},
) {
  const engine = await startEngine(t, [pipeline], config, { store: kind });
  const { execution } = await engine.coordinator.submit('default', {
    pipelineId: pipeline.id,
    input: { n: 1 },
  });
  return { engine, id: execution.executionId };
}

const status = (engine: Engine, id: string) => engine.coordinator.status('default', id);

/** Advances to the execution's next due instant and ticks; returns the new state. */
async function runRetry(engine: Engine, id: string): Promise<ExecutionRecord> {
  const current = await status(engine, id);
  assert.equal(current.status, 'WAIT_RETRY');
  engine.time.advance((current.nextDueAtMs ?? 0) - engine.time.now());
  await engine.coordinator.tick();
  return status(engine, id);
}

function assertDelayWithin(x: ExecutionRecord, nowMs: number, baseMs: number, jitter = 0.2): void {
  const delay = (x.nextDueAtMs ?? Number.NaN) - nowMs;
  assert.ok(
    delay >= baseMs * (1 - jitter) && delay <= baseMs * (1 + jitter),
    `retry delay ${delay} ms is not within ${baseMs} ms ± ${jitter * 100} %`,
  );
}

forEachStore(
  'a failing step is retried with growing delays until it succeeds; checkpointed steps never rerun',
  async (t, kind) => {
    const { pipeline, runs, seen } = flaky(2);
    const { engine, id } = await start(t, kind, pipeline);
    await engine.coordinator.tick();
    const first = await status(engine, id);
    assert.equal(first.status, 'WAIT_RETRY');
    assert.equal(first.attempt, 1);
    assert.equal(first.stepIndex, 1, 'step 1 is checkpointed');
    assert.equal(first.errorCode, 'flaky_backend');
    assertDelayWithin(first, engine.time.now(), RETRY_DELAY_MS);

    const second = await runRetry(engine, id);
    assert.equal(second.status, 'WAIT_RETRY');
    assert.equal(second.attempt, 2);
    assertDelayWithin(second, engine.time.now(), 2 * RETRY_DELAY_MS); // retryMultiplier 2

    const final = await runRetry(engine, id);
    assert.equal(final.status, 'SUCCEEDED');
    assert.deepEqual(final.result, { result: 4 });
    assert.equal(final.errorCode, null);
    assert.deepEqual(runs, { first: 1, second: 3, third: 1 });
    assert.deepEqual(
      seen.map((s) => [s.stepIndex, s.attempt]),
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [1, 2],
        [2, 0],
      ],
    );
    for (const s of seen) {
      assert.equal(s.executionId, id);
      assert.equal(s.idempotencyKey, `${id}:${s.stepId}`, 'one key for every try of a step');
      assert.equal(s.attemptKey, `${id}:${s.stepId}:${s.attempt}`);
    }
  },
);

forEachStore(
  'without jitter the delay is retryDelay × multiplier^attempt, capped at retryMaxDelay',
  async (t, kind) => {
    const { pipeline } = flaky(3);
    const { engine, id } = await start(t, kind, pipeline, {
      jitter: 0,
      retryMultiplier: 3,
      retryMaxDelayMs: 5000,
    });
    await engine.coordinator.tick();
    const delays: number[] = [];
    let x = await status(engine, id);
    delays.push((x.nextDueAtMs ?? 0) - engine.time.now());
    x = await runRetry(engine, id);
    delays.push((x.nextDueAtMs ?? 0) - engine.time.now());
    x = await runRetry(engine, id);
    delays.push((x.nextDueAtMs ?? 0) - engine.time.now());
    assert.deepEqual(delays, [1000, 3000, 5000]);
    assert.equal((await runRetry(engine, id)).status, 'SUCCEEDED');
  },
);

forEachStore(
  'retries exhausted: DLQ with retry_exhausted and exactly one DLQ publication',
  async (t, kind) => {
    const { pipeline, runs } = flaky(Infinity);
    const { engine, id } = await start(t, kind, pipeline, { maxRetries: 2 });
    await engine.coordinator.tick();
    await runRetry(engine, id);
    const dead = await runRetry(engine, id);
    assert.equal(dead.status, 'DLQ');
    assert.equal(dead.dlqReason, 'retry_exhausted');
    assert.equal(dead.errorCode, 'flaky_backend');
    assert.equal(dead.nextDueAtMs, null);
    assert.equal(runs.second, 3, 'the first try and two retries');
    await engine.coordinator.tick();
    assert.equal(engine.dlq.length, 1);
    const payload = engine.dlq[0]?.payload;
    assert.equal(payload?.executionId, id);
    assert.equal(payload?.terminalReason, 'retry_exhausted');
    assert.equal(payload?.retriesObserved, 2);
    assert.equal(payload?.transitionKey, `${id}:1:2`);
  },
);

forEachStore(
  'dlq: false with a NonRetryableError ends FAILED; re-drive needs allowFailed',
  async (t, kind) => {
    const { pipeline, runs } = flaky(1, { dlq: false, nonRetryable: true });
    const { engine, id } = await start(t, kind, pipeline);
    await engine.coordinator.tick();
    const failed = await status(engine, id);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.dlqReason, 'non_retryable');
    assert.equal(failed.errorCode, 'card_declined');
    assert.equal(failed.attempt, 0, 'no retry was scheduled');
    assert.equal(engine.dlq.length, 0);
    assert.deepEqual(await engine.store.readOutbox(10), []);

    await assert.rejects(
      engine.coordinator.redrive('default', id, {}),
      (e: unknown) => e instanceof CapstanError && e.code === 'execution_state_conflict',
    );
    assert.equal((await status(engine, id)).status, 'FAILED');
    const redriven = await engine.coordinator.redrive('default', id, { allowFailed: true });
    assert.equal(redriven.previousStatus, 'FAILED');
    assert.equal(redriven.execution.status, 'QUEUED');
    assert.equal(redriven.execution.stepIndex, 1);
    await engine.coordinator.tick();
    assert.equal((await status(engine, id)).status, 'SUCCEEDED');
    assert.deepEqual(runs, { first: 1, second: 2, third: 1 });
  },
);

forEachStore(
  "dlqProvider 'none' turns exhausted retries into FAILED without a publication",
  async (t, kind) => {
    const { pipeline } = flaky(Infinity);
    const { engine, id } = await start(t, kind, pipeline, { dlqProvider: 'none', maxRetries: 0 });
    await engine.coordinator.tick();
    const failed = await status(engine, id);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.dlqReason, 'retry_exhausted');
    assert.equal(engine.dlq.length, 0);
    assert.deepEqual(await engine.store.readOutbox(10), []);
  },
);

/** Submits past the coordinator and claims as a node that then dies, holding the lease. */
async function claimedByDeadNode(
  t: TestContext,
  kind: StoreKind,
  pipeline: Pipeline,
  config: Partial<EngineConfig>,
) {
  const engine = await startEngine(t, [pipeline], config, { store: kind });
  const releaseVersion = engine.releaseVersions.get(pipeline.id) ?? '';
  // Start-up may leave a pass running (e.g. one woken by winning the maintenance election):
  // let it end, so the dead node claims before this coordinator can.
  await engine.coordinator.tick();
  const id = 'exec-dead-node';
  await engine.store.submit({
    tenantId: 'default',
    executionId: id,
    pipelineId: pipeline.id,
    contractVersion: buildContract(pipeline).contractVersion,
    releaseVersion,
    executionKey: 'k',
    inputFingerprint: 'fp',
    input: { n: 1 },
    nowMs: engine.time.now(),
  });
  const leaseMs = engine.coordinator.config.leaseMs;
  const {
    segments: [claimed],
  } = await engine.store.claimDue({
    nowMs: engine.time.now(),
    limit: 1,
    owner: 'dead-node',
    leaseMs,
    routes: [{ tenantId: 'default', pipelineId: pipeline.id, releaseVersion }],
  });
  assert.equal(claimed?.execution.leaseOwner, 'dead-node');
  await engine.coordinator.tick();
  assert.equal((await status(engine, id)).status, 'RUNNING', 'a live lease is left alone');
  engine.time.advance(leaseMs + 1);
  await engine.coordinator.tick();
  return { engine, id };
}

forEachStore(
  'a lease lost with its node is reclaimed as a retry, and the execution then succeeds',
  async (t, kind) => {
    const { pipeline, runs } = flaky(0);
    const { engine, id } = await claimedByDeadNode(t, kind, pipeline, {});
    // The reclaim counts a try but is due at once, so the same tick runs the segment again.
    const events = await engine.store.readJournal(id, 0, 100);
    const reclaim = events.find((e) => e.type === 'retry_scheduled');
    assert.equal(reclaim?.data.errorCode, 'lease_expired');
    assert.equal(reclaim?.data.attempt, 1);
    assert.equal(reclaim?.data.dueAtMs, reclaim?.atMs, 'a lost lease is retried without backoff');
    const done = await status(engine, id);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.leaseEpoch, 2, 'the live node claimed with a newer epoch');
    assert.deepEqual(runs, { first: 1, second: 1, third: 1 });
    const claims = (await engine.store.readJournal(id, 0, 100)).filter((e) => e.type === 'attempt_started');
    assert.deepEqual(
      claims.map((e) => e.data.leaseOwner),
      ['dead-node', engine.coordinator.config.nodeId],
    );
  },
);

forEachStore('a lost lease with no retries left goes to the DLQ as lease_lost_exhausted', async (t, kind) => {
  const { pipeline, runs } = flaky(0);
  const { engine, id } = await claimedByDeadNode(t, kind, pipeline, { maxRetries: 0 });
  const dead = await status(engine, id);
  assert.equal(dead.status, 'DLQ');
  assert.equal(dead.dlqReason, 'lease_lost_exhausted');
  assert.equal(dead.errorCode, 'lease_expired');
  assert.equal(dead.failedStepId, 'first', 'marked for the DLQ listing (docs/dlq.md)');
  assert.match(dead.failureFingerprint ?? '', /^[0-9a-f]{16}$/);
  assert.equal(runs.first, 0, 'no step ran');
  assert.equal(engine.dlq.length, 1);
  assert.equal(engine.dlq[0]?.payload.terminalReason, 'lease_lost_exhausted');
  assert.equal(engine.dlq[0]?.payload.fingerprint, dead.failureFingerprint, 'the sink sees the fingerprint');

  // The metrics tell the same story: one takeover, by the leader, ending in the DLQ.
  const samples = parsePrometheusText(await engine.coordinator.metrics.render());
  assert.equal(valueOf(samples, 'capstan_lease_takeovers_total'), 1);
  assert.ok((valueOf(samples, 'capstan_maintenance_passes_total', { role: 'leader' }) ?? 0) >= 1);
  assert.equal(valueOf(samples, 'capstan_dlq_publications_total', { reason: 'lease_lost_exhausted' }), 1);
  assert.equal(
    valueOf(samples, 'capstan_step_failures_total', { error_code: 'lease_expired', decision: 'dlq' }),
    1,
  );
  assert.equal(valueOf(samples, 'capstan_executions', { status: 'DLQ' }), 1);
});
