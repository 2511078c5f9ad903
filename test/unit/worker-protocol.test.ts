import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { z } from 'zod';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { buildWorkerReleases, HostedReleases } from '../../src/worker/hosted-releases.ts';
import { executeTransition } from '../../src/worker/execute-transition.ts';
import { decodeCommand, encodeCommand } from '../../src/worker-protocol/command-codec.ts';
import { commandEnvelopeSchema, resultEnvelopeSchema } from '../../src/worker-protocol/envelopes.ts';
import { decodeResult } from '../../src/worker-protocol/result-codec.ts';
import type { SegmentCommand } from '../../src/segment/transition-worker.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { systemTimers } from '../../src/runtime/timers.ts';
import { createRestWorkerServer } from '../../src/worker/rest-server.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { NonceGuard } from '../../src/worker-protocol/nonce-guard.ts';
import { RequestVerifier } from '../../src/worker-protocol/request-verifier.ts';
import { restWorkerTransport } from '../../src/coordinator/workers/rest-worker-transport.ts';
import { SignedRestClient } from '../../src/coordinator/workers/signed-rest-client.ts';

const seen: string[] = [];
const pipeline = definePipeline({ id: 'three-steps', input: z.object({ n: z.number() }) })
  .step('double', { output: z.number(), run: ({ n }) => n * 2 })
  .step('add', {
    output: z.number(),
    run: async (x, ctx) => {
      seen.push(ctx.idempotencyKey);
      return x + Number(await ctx.outputOf('double'));
    },
  })
  .step('check', {
    output: z.object({ total: z.number() }),
    run: (total) => {
      if (total > 100) throw new NonRetryableError('too much', { code: 'too_much' });
      return { total };
    },
  });

async function hostedAnd(input: unknown, overrides: Partial<SegmentCommand> = {}) {
  const releases = await buildWorkerReleases([pipeline]);
  const release = releases[0]!;
  const command: SegmentCommand = {
    tenantId: 'default',
    executionId: 'e1',
    pipelineId: release.pipelineId,
    contractVersion: release.contractVersion,
    releaseVersion: release.releaseVersion,
    currentStepIndex: 0,
    attempt: 0,
    executionVersion: 2,
    leaseEpoch: 1,
    transitionKey: 'e1:0:0',
    input,
    ...overrides,
  };
  return { hosted: new HostedReleases('default', releases), command };
}

const run = async (raw: unknown, hosted: HostedReleases) => {
  const answer = await executeTransition(raw, hosted, new AbortController().signal);
  assert.equal(answer.kind, 'result', JSON.stringify(answer));
  if (answer.kind !== 'result') throw new Error('unreachable');
  // What crosses the wire, checked as the coordinator checks it.
  return decodeResult(resultEnvelopeSchema.parse(JSON.parse(JSON.stringify(answer.envelope))));
};

test('a command round-trips through its envelope with TPF field names', async () => {
  const { command } = await hostedAnd({ n: 1 }, { idempotencyAttempt: 0, attempt: 2 });
  const envelope = encodeCommand(command, [{ stepIndex: 0, output: 2 }]);
  for (const field of [
    'stopBeforeStepIndex',
    'executionVersion',
    'transitionKey',
    'traceId',
    'payloadTypeId',
  ])
    assert.ok(field in envelope, field);
  assert.equal(envelope.payloadEncoding, 'application/tpf-transition+json');
  assert.equal(typeof envelope.payload, 'string');
  const decoded = decodeCommand(commandEnvelopeSchema.parse(JSON.parse(JSON.stringify(envelope))));
  assert.deepEqual(decoded.command, command);
  assert.deepEqual(decoded.priorOutputs, [{ stepIndex: 0, output: 2 }]);
});

test('a whole segment returns its per-step outputs and the result', async () => {
  const { hosted, command } = await hostedAnd({ n: 5 });
  const result = await run(encodeCommand(command, []), hosted);
  assert.deepEqual(result, {
    outcome: 'COMPLETED',
    stepIndex: 2,
    output: { total: 20 },
    outputs: [
      { stepIndex: 0, output: 10 },
      { stepIndex: 1, output: 20 },
    ],
  });
});

test('a failure returns the outputs of the steps before it; outputOf reads the prior outputs sent along', async () => {
  const { hosted, command } = await hostedAnd(60, {
    currentStepIndex: 1,
    attempt: 3,
    idempotencyAttempt: 1,
    transitionKey: 'e1:1:3',
  });
  const result = await run(encodeCommand(command, [{ stepIndex: 0, output: 60 }]), hosted);
  assert.equal(result.outcome, 'FAILED');
  if (result.outcome !== 'FAILED') return;
  assert.equal(result.stepIndex, 2);
  assert.deepEqual(result.outputs, [{ stepIndex: 1, output: 120 }]);
  const { stack, ...failure } = result.failure;
  assert.deepEqual(failure, {
    failureClass: 'NonRetryableError',
    code: 'too_much',
    message: 'too much',
    nonRetryable: true,
    skipDlq: false,
  });
  // The stack crosses the wire with the failure: it starts at the error and names the step's file.
  assert.match(stack ?? '', /^NonRetryableError: too much\n\s+at .*worker-protocol\.test\.ts/);
  assert.equal(seen.at(-1), 'e1:1:1', 'the idempotency key of the first try whose outcome is unknown');
});

test('a command for another release is refused before its payload is decoded', async () => {
  const { hosted, command } = await hostedAnd({ n: 1 });
  const envelope = { ...encodeCommand(command, []), releaseVersion: 'other.release', payload: '{not json' };
  assert.deepEqual(await run(envelope, hosted), {
    outcome: 'REFUSED',
    reason: `transition command targets three-steps@other.release (contract ${command.contractVersion}), but this worker hosts three-steps@${command.releaseVersion} for tenant default`,
  });
  const otherTenant = await run({ ...encodeCommand(command, []), tenantId: 'acme' }, hosted);
  assert.equal(otherTenant.outcome, 'REFUSED');
  // The same broken payload for the hosted release is a malformed command.
  const broken = await executeTransition(
    { ...envelope, releaseVersion: command.releaseVersion },
    hosted,
    new AbortController().signal,
  );
  assert.deepEqual(broken, {
    kind: 'invalid',
    code: 'invalid_payload_envelope',
    message: 'The envelope payload is not valid JSON.',
  });
  const garbage = await executeTransition({ hello: 'world' }, hosted, new AbortController().signal);
  assert.equal(garbage.kind, 'invalid');
});

test("result envelopes keep TPF's invariants", () => {
  const base = { stepIndex: 0, stepOutputs: [] };
  const failure = { failureClass: 'Error', message: 'x' };
  const payload = { payloadTypeId: 't', payloadEncoding: 'application/tpf-transition+json', payload: '1' };
  assert.equal(
    resultEnvelopeSchema.safeParse({ ...base, outcome: 'COMPLETED', outputPayloads: [payload] }).success,
    true,
  );
  assert.equal(
    resultEnvelopeSchema.safeParse({ ...base, outcome: 'COMPLETED', outputPayloads: [payload], failure })
      .success,
    false,
  );
  assert.equal(resultEnvelopeSchema.safeParse({ ...base, outcome: 'FAILED' }).success, false);
  assert.equal(
    resultEnvelopeSchema.safeParse({ ...base, outcome: 'FAILED', failure, outputPayloads: [payload] })
      .success,
    false,
  );
  assert.equal(resultEnvelopeSchema.safeParse({ ...base, outcome: 'WAITING_EXTERNAL' }).success, false);
});

test("the worker's own refusals before running anything are signed: the coordinator's REST transport retries them plainly", async (t) => {
  const { hosted, command } = await hostedAnd({ n: 1 });
  const keys = new KeyRing({ defaultSecret: 'refusal-test-secret' });
  // A replay cache of one nonce: the second call finds it full.
  const verifier = new RequestVerifier({
    keys,
    clock: systemClock,
    toleranceMs: 60_000,
    nonces: new NonceGuard(1),
  });
  const server = createRestWorkerServer({
    hosted,
    workerId: () => 'w',
    keys,
    verifier,
    clock: systemClock,
    logger: silentLogger,
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  const transport = restWorkerTransport(
    new SignedRestClient({
      keys,
      clock: systemClock,
      random: systemRandom,
      timers: systemTimers,
      connectTimeoutMs: 1_000,
      requestTimeoutMs: 5_000,
      toleranceMs: 60_000,
    }),
  );
  const envelope = JSON.stringify(encodeCommand(command, []));
  const signal = new AbortController().signal;
  assert.equal((await transport.execute(url, envelope, 'w', signal)).outcome, 'COMPLETED');
  const refused = await transport.execute(url, envelope, 'w', signal);
  assert.equal(refused.outcome, 'UNREACHABLE', JSON.stringify(refused));
  assert.match('reason' in refused ? refused.reason : '', /replay_cache_full/);
});
