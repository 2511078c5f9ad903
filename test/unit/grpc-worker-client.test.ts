/**
 * The coordinator's gRPC client and transport against real gRPC servers on loopback: what a
 * call's end tells about the remote side (never sent, unknown, refused, rejected), and how the
 * transport turns it into a segment outcome.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { systemTimers } from '../../src/runtime/timers.ts';
import { TransitionWorkerService } from '../../src/worker-protocol/grpc-service.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { GrpcWorkerClient } from '../../src/coordinator/workers/grpc-worker-client.ts';
import { grpcWorkerTransport } from '../../src/coordinator/workers/grpc-worker-transport.ts';

const client = new GrpcWorkerClient({
  keys: new KeyRing({ defaultSecret: 'grpc-client-test-secret' }),
  clock: systemClock,
  random: systemRandom,
  timers: systemTimers,
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 300,
  toleranceMs: 120_000,
  maxInboundMessageBytes: 4 * 1024 * 1024,
});
const transport = grpcWorkerTransport(client);

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

/** A loopback gRPC server whose Execute is `handle`; shut down when the test ends. */
async function serve(t: TestContext, handle: Handler): Promise<string> {
  const server = new Server();
  const implementation: UntypedServiceImplementation = { Execute: handle, Capabilities: handle };
  server.addService(TransitionWorkerService.service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  t.after(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

const execute = (endpoint: string, signal?: AbortSignal) =>
  client.call(endpoint, 'Execute', { body: Buffer.from('{"a":1}'), ...(signal ? { signal } : {}) });

test('no connection: never sent, so the worker is unreachable and no attempt is spent', async (t) => {
  const endpoint = await serve(t, () => undefined);
  const closed = endpoint.replace(/:\d+$/, ':1');
  const outcome = await execute(closed);
  assert.equal(outcome.kind, 'not-sent');
  const result = await transport.execute(closed, '{}', 'w1', new AbortController().signal);
  assert.equal(result.outcome, 'UNREACHABLE');
});

test('sent, then no answer before the request timeout: the outcome is unknown, and the worker sees the cancel', async (t) => {
  let cancelled!: () => void;
  const seen = new Promise<void>((resolve) => (cancelled = resolve));
  const endpoint = await serve(t, (call) => call.once('cancelled', cancelled));
  const outcome = await execute(endpoint);
  assert.deepEqual(outcome, { kind: 'unknown', reason: `no answer from ${endpoint} within 300 ms` });
  await seen;
  const result = await transport.execute(endpoint, '{}', 'w1', new AbortController().signal);
  assert.equal(result.outcome, 'OUTCOME_UNKNOWN');
});

test('a worker that dies mid-call: the command was sent, so the outcome is unknown', async () => {
  const server = new Server();
  let received!: () => void;
  const inCall = new Promise<void>((resolve) => (received = resolve));
  const implementation: UntypedServiceImplementation = {
    Execute: () => received(),
    Capabilities: () => received(),
  };
  server.addService(TransitionWorkerService.service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const pending = transport.execute(`127.0.0.1:${port}`, '{}', 'w1', new AbortController().signal);
  await inCall;
  server.forceShutdown();
  assert.equal((await pending).outcome, 'OUTCOME_UNKNOWN');
});

test('an OK answer without a valid signature is no answer: unknown', async (t) => {
  const endpoint = await serve(t, (_call, callback) =>
    callback(null, { protocol_version: '1', result_envelope: Buffer.from('{"outcome":"COMPLETED"}') }),
  );
  assert.deepEqual(await execute(endpoint), { kind: 'unknown', reason: 'the response is not signed' });
  const forged = await serve(t, (call, callback) =>
    callback(null, {
      protocol_version: '1',
      result_envelope: Buffer.from('{}'),
      timestamp: new Date().toISOString(),
      nonce: (call.request as { nonce: string }).nonce,
      signature: 'ab'.repeat(32),
    }),
  );
  assert.deepEqual(await execute(forged), {
    kind: 'unknown',
    reason: 'the response signature does not match',
  });
});

test('error statuses: refused unread → unreachable, rejected → refused, internal → unknown', async (t) => {
  const cases = [
    [status.UNAUTHENTICATED, 'UNREACHABLE'],
    [status.UNIMPLEMENTED, 'UNREACHABLE'],
    [status.INVALID_ARGUMENT, 'REFUSED'],
    [status.FAILED_PRECONDITION, 'REFUSED'],
    [status.INTERNAL, 'OUTCOME_UNKNOWN'],
    [status.UNAVAILABLE, 'OUTCOME_UNKNOWN'],
  ] as const;
  for (const [code, expected] of cases) {
    const endpoint = await serve(t, (_call, callback) => callback({ code, details: 'because' }));
    const result = await transport.execute(endpoint, '{}', 'w1', new AbortController().signal);
    assert.equal(result.outcome, expected, status[code]);
  }
  const refusing = await serve(t, (_call, callback) =>
    callback({ code: status.UNAUTHENTICATED, details: 'signature mismatch' }),
  );
  assert.deepEqual(await transport.capabilities(refusing, new AbortController().signal), {
    kind: 'failed',
    reason: 'UNAUTHENTICATED: signature mismatch',
  });
});

test('a cancelled execution aborts its call', async (t) => {
  const endpoint = await serve(t, () => undefined);
  const abort = new AbortController();
  const pending = execute(endpoint, abort.signal);
  abort.abort();
  assert.deepEqual(await pending, { kind: 'aborted' });
  const result = await transport.execute(endpoint, '{}', 'w1', AbortSignal.abort());
  assert.equal(result.outcome, 'ABANDONED');
});
