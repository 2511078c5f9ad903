import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { systemTimers } from '../../src/runtime/timers.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { signResponse } from '../../src/worker-protocol/signed-messages.ts';
import { SIGNATURE_HEADERS } from '../../src/worker-protocol/signing.ts';
import { SignedRestClient } from '../../src/coordinator/workers/signed-rest-client.ts';

const SECRET = 'client-test-secret';
const client = new SignedRestClient({
  keys: new KeyRing({ defaultSecret: SECRET }),
  clock: systemClock,
  random: systemRandom,
  timers: systemTimers,
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 300,
  toleranceMs: 120_000,
});

/** Each loopback server `serve` started, by its URL. */
const serverAt = new Map<string, Server>();

/** A loopback server answering with `handle`; closed when the test ends. */
async function serve(
  t: TestContext,
  handle: (request: IncomingMessage, response: ServerResponse, body: string) => void,
): Promise<string> {
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => handle(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  t.after(() => server.closeAllConnections());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serverAt.set(url, server);
  return url;
}

const post = (baseUrl: string, signal?: AbortSignal) =>
  client.call(baseUrl, {
    method: 'POST',
    path: '/pipeline/worker/transitions/execute',
    body: '{"a":1}',
    signal,
  });

test('a refused connection was never sent', async (t) => {
  const url = await serve(t, () => undefined);
  const closedPort = url.replace(/:\d+$/, ':1');
  const outcome = await post(closedPort);
  assert.equal(outcome.kind, 'not-sent');
  assert.match('reason' in outcome ? outcome.reason : '', /ECONNREFUSED/);
});

test('a request sent but not answered in time, or cut off mid-call, has an unknown outcome', async (t) => {
  const silent = await serve(t, () => undefined);
  const timedOut = await post(silent);
  assert.deepEqual(timedOut, { kind: 'unknown', reason: `no answer from ${silent.slice(7)} within 300 ms` });
  const dropping = await serve(t, (request) => request.socket.destroy());
  assert.equal((await post(dropping)).kind, 'unknown');
});

test('a 2xx answer counts only when signed for this request; refusals come back marked signed or not', async (t) => {
  let lastNonce = '';
  const signed = await serve(t, (request, response, body) => {
    assert.equal(body, '{"a":1}');
    lastNonce = String(request.headers[SIGNATURE_HEADERS.nonce]);
    const text = '{"outcome":"COMPLETED"}';
    const headers = signResponse(SECRET, systemClock, {
      status: 200,
      path: request.url ?? '',
      requestNonce: lastNonce,
      body: text,
    });
    response.writeHead(200, headers).end(text);
  });
  assert.deepEqual(await post(signed), {
    kind: 'answered',
    status: 200,
    body: '{"outcome":"COMPLETED"}',
    signed: true,
  });
  assert.ok(lastNonce.length > 0);
  const unsigned = await serve(t, (_request, response) => response.writeHead(200).end('{}'));
  assert.deepEqual(await post(unsigned), { kind: 'unknown', reason: 'the response is not signed' });
  const refusing = await serve(t, (_request, response) => response.writeHead(401).end('{"error":{}}'));
  assert.deepEqual(await post(refusing), {
    kind: 'answered',
    status: 401,
    body: '{"error":{}}',
    signed: false,
  });
});

test('a call the caller aborts is abandoned', async (t) => {
  const silent = await serve(t, () => undefined);
  const abort = new AbortController();
  const pending = post(silent, abort.signal);
  setTimeout(() => abort.abort(), 50);
  assert.deepEqual(await pending, { kind: 'aborted' });
  assert.deepEqual(await post(silent, AbortSignal.abort()), { kind: 'aborted' });
});

/** Answers a call as a worker does: COMPLETED, signed for that request. */
function answerSigned(request: IncomingMessage, response: ServerResponse): void {
  const text = '{"outcome":"COMPLETED"}';
  const headers = signResponse(SECRET, systemClock, {
    status: 200,
    path: request.url ?? '',
    requestNonce: String(request.headers[SIGNATURE_HEADERS.nonce]),
    body: text,
  });
  response.writeHead(200, headers).end(text);
}

/** A server that signs every answer, and a count of the connections opened to it. */
async function signingServer(t: TestContext): Promise<{ url: string; server: Server; opened: () => number }> {
  const url = await serve(t, answerSigned);
  const server = serverAt.get(url);
  assert.ok(server);
  let opened = 0;
  server.on('connection', () => opened++);
  return { url, server, opened: () => opened };
}

/** A client keeping idle connections `keepAliveMs`; its connections closed when the test ends. */
function keepingClient(t: TestContext, keepAliveMs: number) {
  const keeping = new SignedRestClient({
    keys: new KeyRing({ defaultSecret: SECRET }),
    clock: systemClock,
    random: systemRandom,
    timers: systemTimers,
    connectTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
    toleranceMs: 120_000,
    keepAliveMs,
  });
  t.after(() => keeping.close());
  return (url: string) =>
    keeping.call(url, { method: 'POST', path: '/pipeline/worker/transitions/execute', body: '{"a":1}' });
}

test('calls to one worker reuse a kept connection; keep-alive 0 opens one per call', async (t) => {
  for (const [keepAliveMs, connections] of [
    [2000, 1],
    [0, 5],
  ] as const) {
    const worker = await signingServer(t);
    const call = keepingClient(t, keepAliveMs);
    for (let i = 0; i < 5; i++) assert.equal((await call(worker.url)).kind, 'answered', `call ${i}`);
    assert.equal(worker.opened(), connections, `keep-alive ${keepAliveMs} ms`);
  }
});

test('a worker that closes idle connections sooner than the client keeps them: every call is still answered', async (t) => {
  const worker = await signingServer(t);
  worker.server.keepAliveTimeout = 20;
  const call = keepingClient(t, 2000);
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await call(worker.url), {
      kind: 'answered',
      status: 200,
      body: '{"outcome":"COMPLETED"}',
      signed: true,
    });
    // Past the worker's keep-alive: it has closed the connection the client holds.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(worker.opened(), 5, 'a closed connection is replaced, never written to');
});

test('a call that runs longer than the keep-alive keeps its connection until the answer', async (t) => {
  const url = await serve(t, (request, response) => {
    setTimeout(() => answerSigned(request, response), 600);
  });
  // The idle timeout is for connections in the pool, never for a call in flight on one.
  const call = keepingClient(t, 200);
  for (let i = 0; i < 2; i++) assert.equal((await call(url)).kind, 'answered', `call ${i}`);
});
