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
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
