import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { EXECUTE_PATH } from '../../src/worker-protocol/envelopes.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { RequestVerifier } from '../../src/worker-protocol/request-verifier.ts';
import {
  responseProblem,
  responseSignature,
  responseSignatureProblem,
  signRequest,
  signResponse,
} from '../../src/worker-protocol/signed-messages.ts';
import { SIGNATURE_HEADERS } from '../../src/worker-protocol/signing.ts';

// What binds a worker's answer to the one request it answers, checked against an HMAC computed
// here, independently of the code under test: a mistake shared by signer and verifier still fails.

const SECRET = 'worker-secret';
const TOLERANCE_MS = 120_000;
const body = JSON.stringify({ outcome: 'COMPLETED', outputs: [{ stepIndex: 0, output: 1 }] });
const keys = new KeyRing({ defaultSecret: SECRET });

/** The response signature as the protocol defines it, written out by hand. */
const expectedSignature = (
  status: number,
  path: string,
  timestamp: string,
  requestNonce: string,
  text: string,
) =>
  createHmac('sha256', SECRET)
    .update(
      `RESPONSE ${status}\n${path}\n${timestamp}\n${requestNonce}\n${createHash('sha256').update(text).digest('hex')}`,
    )
    .digest('hex');

for (const status of [200, 0]) {
  const protocol = status === 0 ? 'gRPC (status 0)' : 'REST';
  test(`${protocol}: the response signature is HMAC(secret, RESPONSE status, path, time, the request's nonce, body hash)`, () => {
    const time = new ManualTime();
    const response = { status, path: EXECUTE_PATH, requestNonce: 'nonce-of-request-1', body };
    const fields = responseSignature(SECRET, time, response);
    assert.equal(fields.nonce, 'nonce-of-request-1', 'the answer carries its request nonce');
    assert.equal(
      fields.signature,
      expectedSignature(status, EXECUTE_PATH, fields.timestamp, 'nonce-of-request-1', body),
    );
    const headers = signResponse(SECRET, time, response);
    assert.equal(headers[SIGNATURE_HEADERS.signature], fields.signature);
  });

  test(`${protocol}: an answer to one request, its nonce rewritten to another request's, is refused`, () => {
    const time = new ManualTime();
    const signedFor1 = responseSignature(SECRET, time, {
      status,
      path: EXECUTE_PATH,
      requestNonce: 'nonce-of-request-1',
      body,
    });
    // A replayer lifts the answer to request 1 and relabels it as the answer to request 2.
    const relabelled = { ...signedFor1, nonce: 'nonce-of-request-2' };
    const asFields = responseSignatureProblem(keys, undefined, time, TOLERANCE_MS, {
      status,
      path: EXECUTE_PATH,
      requestNonce: 'nonce-of-request-2',
      body,
      ...relabelled,
    });
    assert.match(asFields ?? '', /does not match/);
    const asHeaders = responseProblem(keys, undefined, time, TOLERANCE_MS, {
      status,
      path: EXECUTE_PATH,
      requestNonce: 'nonce-of-request-2',
      body,
      headers: {
        [SIGNATURE_HEADERS.timestamp]: relabelled.timestamp,
        [SIGNATURE_HEADERS.nonce]: relabelled.nonce,
        [SIGNATURE_HEADERS.signature]: relabelled.signature,
      },
    });
    assert.match(asHeaders ?? '', /does not match/);
    // Unchanged, it answers request 1 only.
    assert.equal(
      responseSignatureProblem(keys, undefined, time, TOLERANCE_MS, {
        status,
        path: EXECUTE_PATH,
        requestNonce: 'nonce-of-request-1',
        body,
        ...signedFor1,
      }),
      undefined,
    );
  });
}

test('a response signature presented as a request signature is refused, and a request signature as a response', () => {
  const time = new ManualTime();
  const verifier = new RequestVerifier({ keys, clock: time, toleranceMs: TOLERANCE_MS });
  const response = signResponse(SECRET, time, { status: 200, path: EXECUTE_PATH, requestNonce: 'n-1', body });
  const asRequest = verifier.verify({ method: 'POST', path: EXECUTE_PATH, body, headers: response });
  assert.equal(asRequest.ok, false, 'a worker answer cannot be sent to a worker as a command');

  const request = signRequest(
    keys,
    { clock: time, random: seededRandom(3) },
    { method: 'POST', path: EXECUTE_PATH, body },
  );
  const asResponse = responseProblem(keys, undefined, time, TOLERANCE_MS, {
    status: 200,
    path: EXECUTE_PATH,
    requestNonce: request.nonce,
    body,
    headers: request.headers,
  });
  assert.match(asResponse ?? '', /does not match/, 'a command cannot pass for the answer to itself');
});
