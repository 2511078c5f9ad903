/**
 * Remote transition workers over gRPC, as separate processes: a coordinator that runs nothing
 * itself and holds only the gRPC secret, and `capstan worker --grpc-port` processes that
 * register over gRPC, or that the coordinator finds by `worker.grpc.endpoint`. Calls straight
 * to the worker that no key holder signed (forged, stale, tampered, replayed) run nothing.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { encodeCommand } from '../../src/worker-protocol/command-codec.ts';
import {
  capabilitySchema,
  ENVELOPE_ENCODING,
  resultEnvelopeSchema,
} from '../../src/worker-protocol/envelopes.ts';
import {
  GRPC_CAPABILITIES_PATH,
  GRPC_EXECUTE_PATH,
  GRPC_OK_SIGNING_STATUS,
  GRPC_SIGNING_METHOD,
  TransitionWorkerService,
} from '../../src/worker-protocol/grpc-service.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { requestSignature, responseSignatureProblem } from '../../src/worker-protocol/signed-messages.ts';
import {
  apiClient,
  startCoordinatorProcess,
  type CoordinatorProcess,
} from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { runTpfFlowsOnWorker } from '../support/tpf-flows.ts';
import {
  remoteCoordinatorEnv,
  startWorkerProcess,
  WORKER_SECRET,
  type WorkerProcess,
} from '../support/worker-process.ts';
import { ranOn, waitForWorkerState } from '../support/worker-routing.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RESTAURANT = join(ROOT, 'examples/restaurant-approval/pipeline.ts');
const NEW_SECRET = 'the-new-grpc-secret-0123456789';
/** Both sides hold the gRPC secret; the coordinator holds no REST secret, so gRPC is all it can use. */
const GRPC_ENV = { PIPELINE_ORCHESTRATOR_WORKER_GRPC_SHARED_SECRET_REF: 'env:TEST_WORKER_SECRET' };
const NO_REST = { PIPELINE_ORCHESTRATOR_WORKER_REST_SHARED_SECRET_REF: '' };

function startCoordinator(t: TestContext, env: Record<string, string>): Promise<CoordinatorProcess> {
  return startCoordinatorProcess(t, {
    pipelines: [RESTAURANT],
    env: remoteCoordinatorEnv({ ...GRPC_ENV, ...NO_REST, ...env }),
  });
}

/** Starts a worker that serves gRPC on a free port, and reads its gRPC endpoint from the banner. */
async function startGrpcWorker(
  t: TestContext,
  options: { coordinatorUrl?: string; nodeId?: string; env?: Record<string, string> },
): Promise<WorkerProcess & { grpcEndpoint: string }> {
  const worker = await startWorkerProcess(t, {
    pipelines: [RESTAURANT],
    args: ['--grpc-port', '0'],
    ...options,
    env: { ...GRPC_ENV, ...options.env },
  });
  const grpcEndpoint = /serving gRPC on (127\.0\.0\.1:\d+)/.exec(worker.output())?.[1];
  assert.ok(grpcEndpoint, `the banner names the gRPC endpoint:\n${worker.output()}`);
  return Object.assign(worker, { grpcEndpoint });
}

/** One unary call with a message of our own making: the worker's answer, or its status. */
function rawCall(
  endpoint: string,
  method: 'Execute' | 'Capabilities',
  message: Record<string, unknown>,
): Promise<{ error?: ServiceError; response?: unknown }> {
  const client = new Client(endpoint, credentials.createInsecure());
  const definition = TransitionWorkerService.service[method];
  assert.ok(definition);
  return new Promise((resolveCall) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      message,
      (error: ServiceError | null, response?: unknown) => {
        client.close();
        resolveCall(error ? { error } : { response });
      },
    );
  });
}

const refusedAs = (outcome: { error?: ServiceError }, reason: RegExp) => {
  assert.equal(outcome.error?.code, status.UNAUTHENTICATED, JSON.stringify(outcome));
  assert.match(outcome.error.details, reason);
};

// The two scenarios share nothing, and mostly wait for processes to start: they run side by side.
describe('remote workers over gRPC', { concurrency: true }, () => {
  test('coordinator + gRPC worker: accepted, declined and incident flows, as TPF’s client runs them', async (t) => {
    const coordinator = await startCoordinator(t, { PIPELINE_ORCHESTRATOR_MAX_RETRIES: '0' });
    const worker = await startGrpcWorker(t, { coordinatorUrl: coordinator.baseUrl });
    const registered = await waitForWorkerState(coordinator, worker.workerId, 'HEALTHY');
    assert.deepEqual([registered.protocol, registered.endpoint], ['grpc', worker.grpcEndpoint]);

    await runTpfFlowsOnWorker(t, coordinator, worker);
  });

  test('signed gRPC calls: forged, stale, tampered and replayed calls run nothing; the coordinator finds a worker by endpoint', async (t) => {
    const rotated = {
      TEST_NEW_SECRET: NEW_SECRET,
      PIPELINE_ORCHESTRATOR_WORKER_GRPC_SECRET_REFS: 'k2=env:TEST_NEW_SECRET',
    };
    const worker = await startGrpcWorker(t, { nodeId: 'static-grpc-worker', env: rotated });
    const keys = new KeyRing({ defaultSecret: WORKER_SECRET, keys: { k2: NEW_SECRET }, signingKeyId: 'k2' });
    const sign = (path: string, body: Uint8Array, clock = systemClock) => {
      const s = requestSignature(
        keys,
        { clock, random: systemRandom },
        { method: GRPC_SIGNING_METHOD, path, body },
      );
      return { timestamp: s.timestamp, nonce: s.nonce, signature: s.signature, key_id: s.keyId ?? '' };
    };

    const capabilities = await rawCall(worker.grpcEndpoint, 'Capabilities', {
      protocol_version: '1',
      ...sign(GRPC_CAPABILITIES_PATH, new Uint8Array(0)),
    });
    assert.equal(capabilities.error, undefined);
    const answer = capabilities.response as { capability_envelope: Buffer };
    const capability = capabilitySchema.parse(JSON.parse(answer.capability_envelope.toString('utf8')));
    assert.deepEqual([capability.providerName, capability.workerId], ['grpc', 'static-grpc-worker']);

    const commandOf = (executionId: string) =>
      Buffer.from(
        JSON.stringify(
          encodeCommand(
            {
              tenantId: 'default',
              executionId,
              pipelineId: 'restaurant-approval',
              contractVersion: capability.contractVersion,
              releaseVersion: capability.releaseVersion,
              currentStepIndex: 0,
              attempt: 0,
              executionVersion: 1,
              leaseEpoch: 1,
              transitionKey: `${executionId}:0:0`,
              input: newOrder(),
            },
            [],
          ),
        ),
      );
    const execute = (body: Buffer, signature: Record<string, string>) =>
      rawCall(worker.grpcEndpoint, 'Execute', {
        protocol_version: '1',
        payload_encoding: ENVELOPE_ENCODING,
        command_envelope: body,
        ...signature,
      });

    const forged = commandOf('grpc-forged');
    refusedAs(await execute(forged, {}), /missing signature/);
    refusedAs(
      await execute(forged, { ...sign(GRPC_EXECUTE_PATH, forged), signature: 'ab'.repeat(32) }),
      /mismatch/,
    );
    const threeMinutesAgo = { now: () => Date.now() - 180_000 };
    refusedAs(
      await execute(forged, sign(GRPC_EXECUTE_PATH, forged, threeMinutesAgo)),
      /outside the tolerance/,
    );
    refusedAs(await execute(forged, sign(GRPC_EXECUTE_PATH, commandOf('grpc-other'))), /mismatch/);
    refusedAs(await execute(forged, sign(GRPC_CAPABILITIES_PATH, forged)), /mismatch/);

    const genuine = commandOf('grpc-genuine');
    const signature = sign(GRPC_EXECUTE_PATH, genuine);
    const ran = await execute(genuine, signature);
    assert.equal(ran.error, undefined, ran.error?.details);
    const reply = ran.response as {
      result_envelope: Buffer;
      timestamp: string;
      nonce: string;
      signature: string;
    };
    assert.equal(
      responseSignatureProblem(keys, 'k2', systemClock, 120_000, {
        status: GRPC_OK_SIGNING_STATUS,
        path: GRPC_EXECUTE_PATH,
        requestNonce: signature.nonce,
        ...reply,
        body: reply.result_envelope,
      }),
      undefined,
      'the answer is signed over the request nonce',
    );
    const result = resultEnvelopeSchema.parse(JSON.parse(reply.result_envelope.toString('utf8')));
    assert.equal(result.outcome, 'WAITING_EXTERNAL');
    refusedAs(await execute(genuine, signature), /nonce already used/);

    assert.ok(await ranOn(worker, 'grpc-genuine'));
    const transitions = worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"transition"'));
    assert.equal(transitions.filter((l) => l.includes('grpc-genuine')).length, 1, 'the replay ran nothing');
    assert.ok(!transitions.some((l) => l.includes('grpc-forged')), 'no forged call ran');

    // A coordinator that signs with the rotated key finds the worker by its endpoint alone.
    const coordinator = await startCoordinator(t, {
      ...rotated,
      PIPELINE_ORCHESTRATOR_WORKER_GRPC_SIGNING_KEY_ID: 'k2',
      PIPELINE_ORCHESTRATOR_WORKER_GRPC_ENDPOINT: worker.grpcEndpoint,
      PIPELINE_ORCHESTRATOR_WORKER_LIFECYCLE_STALE_AFTER: 'PT3S',
    });
    const listed = await waitForWorkerState(coordinator, 'static-grpc-worker', 'HEALTHY');
    assert.deepEqual([listed.protocol, listed.endpoint], ['grpc', worker.grpcEndpoint]);
    const api = apiClient(coordinator.baseUrl);
    const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    assert.equal((await api.result(submitted.body.executionId)).body.status.status, 'WAITING_EXTERNAL');
    assert.ok(await ranOn(worker, submitted.body.executionId), 'the segment ran on the worker');
  });
});
