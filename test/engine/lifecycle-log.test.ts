// The lifecycle lines an operator follows an execution by, as a real coordinator writes them
// through pino: one per fact, after its commit, with the execution, pipeline, release and step.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { z } from 'zod';
import { createLogger } from '../../src/runtime/create-logger.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

type LogRecord = Record<string, unknown> & { level: string; msg: string; event?: string };

/** A pino logger as `serve` makes it (JSON, debug and up) that keeps its records for the test. */
function capturedLogger() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', service: 'capstan', destination });
  const records = (): LogRecord[] =>
    text
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogRecord);
  return { logger, records };
}

async function start(t: TestContext, kind: StoreKind) {
  const gateway = { down: true };
  const pipeline = definePipeline({ id: 'ledger', input: z.object({ amount: z.number() }) })
    .step('reserve', { output: z.number(), run: ({ amount }) => amount })
    .step('charge', {
      output: z.number(),
      run: (amount) => {
        if (gateway.down) throw Object.assign(new Error('payment gateway down'), { code: 'gateway_down' });
        return amount;
      },
    })
    .step('ship', { output: z.object({ shipped: z.number() }), run: (amount) => ({ shipped: amount }) });
  const log = capturedLogger();
  const engine = await startEngine(t, [pipeline], { maxRetries: 1 }, { store: kind, logger: log.logger });
  const of = (executionId: string, event?: string) =>
    log.records().filter((r) => r.executionId === executionId && (!event || r.event === event));
  return { engine, gateway, of, releaseVersion: engine.releaseVersions.get('ledger') };
}

forEachStore(
  'submit, retry scheduled, DLQ, re-drive and success are logged once each, with their fields',
  async (t, kind) => {
    const { engine, gateway, of, releaseVersion } = await start(t, kind);
    const { coordinator, time } = engine;
    const { execution } = await coordinator.submit('default', { pipelineId: 'ledger', input: { amount: 5 } });
    const id = execution.executionId;
    const at = { tenantId: 'default', executionId: id, pipelineId: 'ledger', releaseVersion };

    const [submitted] = of(id, 'execution.submitted');
    assert.deepEqual(
      { level: submitted?.level, msg: submitted?.msg, ...pick(submitted, at) },
      { level: 'info', msg: 'execution submitted', ...at },
    );
    assert.match(String(submitted?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'an ISO time');

    await coordinator.tick();
    const [retry] = of(id, 'step.retry_scheduled');
    assert.ok(retry, 'the failed try is logged with its retry');
    assert.equal(retry.level, 'info');
    assert.deepEqual(pick(retry, { ...at, stepIndex: 1, stepId: 'charge', attempt: 0, nextAttempt: 1 }), {
      ...at,
      stepIndex: 1,
      stepId: 'charge',
      attempt: 0,
      nextAttempt: 1,
    });
    assert.equal(retry.errorCode, 'gateway_down');
    assert.equal(retry.errorMessage, 'payment gateway down');
    const waiting = await coordinator.status('default', id);
    assert.equal(retry.delayMs, (waiting.nextDueAtMs ?? 0) - time.now(), 'the delay is the one scheduled');
    assert.equal(retry.nextAttemptAt, new Date(waiting.nextDueAtMs ?? 0).toISOString());
    assert.match(retry.msg, /^step failed; retry 1 scheduled in \d+ ms$/);

    time.advance((waiting.nextDueAtMs ?? 0) - time.now());
    await coordinator.tick();
    const [dlq] = of(id, 'execution.moved_to_dlq');
    assert.ok(dlq, 'retries exhausted: the DLQ move is logged');
    assert.deepEqual(pick(dlq, { stepId: 1, attempt: 1, reason: 1, errorCode: 1, level: 1 }), {
      stepId: 'charge',
      attempt: 1,
      reason: 'retry_exhausted',
      errorCode: 'gateway_down',
      level: 'info',
    });

    gateway.down = false;
    await coordinator.redrive('default', id, { reason: 'gateway back' });
    const [redriven] = of(id, 'execution.redriven');
    assert.deepEqual(pick(redriven, { ...at, stepId: 1, previousStatus: 1, reason: 1 }), {
      ...at,
      stepId: 'charge',
      previousStatus: 'DLQ',
      reason: 'gateway back',
    });

    await coordinator.tick();
    assert.equal((await coordinator.status('default', id)).status, 'SUCCEEDED');
    const succeeded = of(id, 'step.succeeded');
    assert.deepEqual(
      succeeded.map((r) => [r.stepId, r.level]),
      [
        ['reserve', 'debug'],
        ['charge', 'debug'],
        ['ship', 'debug'],
      ],
    );
    assert.equal(of(id, 'execution.succeeded')[0]?.level, 'debug');

    const events = of(id).map((r) => r.event);
    assert.deepEqual(events, [
      'execution.submitted',
      'step.succeeded',
      'step.retry_scheduled',
      'execution.moved_to_dlq',
      'execution.redriven',
      'step.succeeded',
      'step.succeeded',
      'execution.succeeded',
    ]);
  },
);

forEachStore(
  'a cancel is logged once, by the node that made it, with the step it stopped at',
  async (t, kind) => {
    const { engine, of, releaseVersion } = await start(t, kind);
    const { coordinator } = engine;
    const { execution } = await coordinator.submit('default', { pipelineId: 'ledger', input: { amount: 1 } });
    const id = execution.executionId;
    await coordinator.cancel('default', id, 'customer asked');
    await coordinator.cancel('default', id, 'customer asked');
    const cancelled = of(id, 'execution.cancelled');
    assert.equal(cancelled.length, 1, 'a repeated cancel changes nothing and logs nothing');
    assert.deepEqual(
      pick(cancelled[0], {
        executionId: 1,
        pipelineId: 1,
        releaseVersion: 1,
        reason: 1,
        level: 1,
      }),
      { executionId: id, pipelineId: 'ledger', releaseVersion, reason: 'customer asked', level: 'info' },
    );
    // The submit woke the dispatcher, which may have run a step before the cancel landed.
    const stepIndex = Number(cancelled[0]?.stepIndex);
    assert.equal(cancelled[0]?.stepId, ['reserve', 'charge', 'ship'][stepIndex], 'the step it stopped at');
  },
);

forEachStore(
  'parking on an interaction, its completion and a passed deadline are logged with the await step',
  async (t, kind) => {
    const pipeline = definePipeline({ id: 'approval', input: z.object({ n: z.number() }) })
      .await('manager-approval', {
        response: z.object({ ok: z.boolean() }),
        deadline: 'PT1M',
        request: ({ n }) => ({ n }),
      })
      .step('apply', { output: z.boolean(), run: ({ ok }) => ok });
    const log = capturedLogger();
    const { coordinator, time } = await startEngine(t, [pipeline], {}, { store: kind, logger: log.logger });
    const of = (id: string, event: string) =>
      log.records().filter((r) => r.executionId === id && r.event === event);
    const submit = async (n: number) =>
      (await coordinator.submit('default', { pipelineId: 'approval', input: { n } })).execution.executionId;

    const approved = await submit(1);
    await coordinator.tick();
    const [parked] = of(approved, 'interaction.parked');
    assert.equal(parked?.stepId, 'manager-approval');
    assert.equal(parked?.deadlineAt, new Date(time.now() + 60_000).toISOString());
    await coordinator.completeInteraction('default', {
      interactionId: String(parked?.interactionId),
      response: { ok: true },
      actor: 'ada',
    });
    const [completed] = of(approved, 'interaction.completed');
    assert.deepEqual(pick(completed, { stepId: 1, interactionId: 1, actor: 1, level: 1 }), {
      stepId: 'manager-approval',
      interactionId: parked?.interactionId,
      actor: 'ada',
      level: 'info',
    });

    const forgotten = await submit(2);
    await coordinator.tick();
    time.advance(60_000);
    await coordinator.tick();
    const [timedOut] = of(forgotten, 'execution.moved_to_dlq');
    assert.deepEqual(pick(timedOut, { stepId: 1, reason: 1, errorCode: 1, msg: 1 }), {
      stepId: 'manager-approval',
      reason: 'await_timeout',
      errorCode: 'await_timeout',
      msg: 'await timed out; execution moved to the DLQ',
    });
  },
);

/** The record's values at the keys of `shape`. */
function pick(record: LogRecord | undefined, shape: object): Record<string, unknown> {
  return Object.fromEntries(Object.keys(shape).map((key) => [key, record?.[key]]));
}
