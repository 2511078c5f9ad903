// The edges of the worker protocol's signatures: each missing part on its own, duplicated
// headers, the nonce's length bounds, the exact tolerance and replay-window edges, a full replay
// cache, and signature and timestamp text that only looks right.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { EXECUTE_PATH } from '../../src/worker-protocol/envelopes.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { NonceGuard } from '../../src/worker-protocol/nonce-guard.ts';
import { RequestVerifier, type Verification } from '../../src/worker-protocol/request-verifier.ts';
import {
  requestSignature,
  responseProblem,
  responseSignature,
  signRequest,
  signResponse,
} from '../../src/worker-protocol/signed-messages.ts';
import {
  hmacHex,
  parseTimestamp,
  requestSigningString,
  responseSigningString,
  SIGNATURE_HEADERS,
  signatureMatches,
  timestampOf,
} from '../../src/worker-protocol/signing.ts';

const TOLERANCE_MS = 120_000;
const SECRET = 'edge-secret';
const body = '{"executionId":"e1"}';
const request = { method: 'POST', path: EXECUTE_PATH, body };

function world(nonces?: NonceGuard) {
  const time = new ManualTime();
  const keys = new KeyRing({ defaultSecret: SECRET });
  const verifier = new RequestVerifier({
    keys,
    clock: time,
    toleranceMs: TOLERANCE_MS,
    ...(nonces ? { nonces } : {}),
  });
  const random = seededRandom(7);
  const sign = () => signRequest(keys, { clock: time, random }, request);
  /** Signs with a chosen nonce, for the nonce-length bounds. */
  const signWithNonce = (nonce: string) => {
    const timestamp = timestampOf(time.now());
    const signature = hmacHex(SECRET, requestSigningString('POST', EXECUTE_PATH, timestamp, nonce, body));
    return { timestamp, nonce, signature, keyId: undefined };
  };
  return { time, keys, verifier, sign, signWithNonce, random };
}

const refusedWith = (outcome: Verification, status: number, reason: RegExp) => {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  if (!outcome.ok) {
    assert.equal(outcome.status, status);
    assert.match(outcome.reason, reason);
  }
};

test('each signature header missing on its own is refused as missing', () => {
  const { verifier, sign } = world();
  for (const name of [SIGNATURE_HEADERS.timestamp, SIGNATURE_HEADERS.nonce, SIGNATURE_HEADERS.signature]) {
    const headers: Record<string, string> = { ...sign().headers };
    delete headers[name];
    refusedWith(verifier.verify({ ...request, headers }), 401, /^missing signature headers$/);
  }
});

test('a duplicated signature header (an array) is refused as missing, never read as text', () => {
  const { verifier, sign } = world();
  for (const name of [SIGNATURE_HEADERS.timestamp, SIGNATURE_HEADERS.nonce, SIGNATURE_HEADERS.signature]) {
    const headers = sign().headers;
    const value = headers[name] ?? '';
    refusedWith(
      verifier.verify({ ...request, headers: { ...headers, [name]: [value, value] } }),
      401,
      /^missing signature headers$/,
    );
  }
});

test('gRPC fields: each missing field on its own is refused as missing', () => {
  const { verifier, keys, time, random } = world();
  for (const name of ['timestamp', 'nonce', 'signature'] as const) {
    const fields = { ...requestSignature(keys, { clock: time, random }, request), [name]: undefined };
    refusedWith(
      verifier.verifyFields({ ...request, ...fields, keyId: undefined }),
      401,
      /^missing signature fields$/,
    );
  }
});

test('the nonce is 8 to 200 characters: shorter or longer is refused before anything else', () => {
  const { verifier, signWithNonce } = world();
  const verify = (nonce: string) => verifier.verifyFields({ ...request, ...signWithNonce(nonce) });
  refusedWith(verify('n'.repeat(7)), 401, /^malformed nonce$/);
  assert.equal(verify('a'.repeat(8)).ok, true, '8 characters is enough');
  assert.equal(verify('b'.repeat(200)).ok, true, '200 characters is allowed');
  refusedWith(verify('c'.repeat(201)), 401, /^malformed nonce$/);
});

test('a replay exactly at the edge of the tolerance is still refused: the nonce is kept that long', () => {
  const { time, verifier, sign } = world();
  const signed = sign();
  time.advance(TOLERANCE_MS - 1);
  assert.equal(verifier.verify({ ...request, headers: signed.headers }).ok, true);
  time.advance(1);
  refusedWith(verifier.verify({ ...request, headers: signed.headers }), 401, /^nonce already used$/);
});

test('a full replay cache answers 503, not 401, and admits nothing', () => {
  const { verifier, sign } = world(new NonceGuard(1));
  assert.equal(verifier.verify({ ...request, headers: sign().headers }).ok, true);
  const next = sign();
  refusedWith(verifier.verify({ ...request, headers: next.headers }), 503, /^replay cache full$/);
});

test('NonceGuard: a nonce is live through its expiry instant; an expired one may be used again', () => {
  const guard = new NonceGuard(1);
  assert.equal(guard.admit('a', 1_000, 0), 'fresh');
  assert.equal(guard.admit('a', 1_000, 1_000), 'replayed', 'at its expiry instant it is still live');
  assert.equal(guard.admit('b', 2_000, 1_000), 'full', 'a nonce at its expiry instant still takes room');
  assert.equal(guard.admit('a', 3_000, 1_001), 'fresh', 'after it, the nonce is free again');
});

test('NonceGuard: expired nonces are swept every 1024 admissions, not on each one', () => {
  const guard = new NonceGuard(10_000);
  for (let i = 0; i < 1_000; i++) assert.equal(guard.admit(`old-${i}`, 10, 0), 'fresh');
  assert.equal(guard.admit('new-0', 100, 20), 'fresh');
  assert.equal(guard.size, 1_001, 'the 1001st admission sweeps nothing');
  for (let i = 1; i < 23; i++) guard.admit(`new-${i}`, 100, 20);
  assert.equal(guard.size, 1_023);
  guard.admit('new-23', 100, 20);
  assert.equal(guard.size, 24, 'the 1024th admission swept the expired ones');
});

test('signatureMatches: only exactly 64 hex digits; extra text before or after is refused', () => {
  const expected = hmacHex(SECRET, 'text');
  assert.equal(signatureMatches(expected, expected), true);
  assert.equal(signatureMatches(expected, expected.toUpperCase()), true, 'hex case does not matter');
  assert.equal(signatureMatches(expected, `${expected}00`), false, 'trailing digits');
  assert.equal(signatureMatches(expected, `${expected}zz`), false, 'trailing junk');
  assert.equal(signatureMatches(expected, `00${expected}`), false, 'leading digits');
  assert.equal(signatureMatches(expected, `zz${expected}`), false, 'leading junk');
});

test('parseTimestamp: ISO-8601 UTC instants only, with or without a fraction', () => {
  assert.equal(parseTimestamp('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1));
  assert.equal(parseTimestamp('2026-01-01T00:00:00.5Z'), Date.UTC(2026, 0, 1) + 500);
  assert.equal(parseTimestamp('Thu, 01 Jan 2026 00:00:00 GMT'), undefined, 'a date Date.parse reads');
  assert.equal(parseTimestamp('+002026-01-01T00:00:00.000Z'), undefined, 'an expanded year');
  assert.equal(parseTimestamp('-002026-01-01T00:00:00.000Z'), undefined, 'a negative expanded year');
  assert.equal(parseTimestamp('2026-01-01T00:00:00.0000000000Z'), undefined, 'more than 9 fraction digits');
  assert.equal(parseTimestamp('2026-13-01T00:00:00Z'), undefined, 'the right shape, not a date');
});

test('responses: each missing part, a duplicated header, an unknown key id, the tolerance edges', () => {
  const time = new ManualTime();
  const keys = new KeyRing({ defaultSecret: SECRET });
  const response = { status: 200, path: EXECUTE_PATH, requestNonce: 'nonce-0001', body: '{}' };
  const headers = signResponse(SECRET, time, response);
  const problem = (h: Record<string, string | string[]>, keyId?: string) =>
    responseProblem(keys, keyId, time, TOLERANCE_MS, { ...response, headers: h });
  assert.equal(problem(headers), undefined);
  for (const name of [SIGNATURE_HEADERS.timestamp, SIGNATURE_HEADERS.signature]) {
    const without: Record<string, string> = { ...headers };
    delete without[name];
    assert.equal(problem(without), 'the response is not signed', `without ${name}`);
    const value = headers[name] ?? '';
    assert.equal(problem({ ...headers, [name]: [value, value] }), 'the response is not signed');
  }
  assert.equal(problem(headers, 'k-unknown'), "no secret for key id 'k-unknown'");

  time.advance(TOLERANCE_MS);
  assert.equal(problem(headers), undefined, 'exactly at the tolerance is accepted');
  time.advance(1);
  assert.equal(problem(headers), 'the response timestamp is outside the tolerance');
  time.advance(-2 * TOLERANCE_MS - 1);
  assert.equal(problem(headers), undefined, 'as early as the tolerance is accepted');
  time.advance(-1);
  assert.equal(problem(headers), 'the response timestamp is outside the tolerance', 'signed in the future');

  // Correctly signed by a key holder, but over a timestamp that is no instant: still refused.
  const malformed = 'not-a-time';
  const forged = {
    ...headers,
    [SIGNATURE_HEADERS.timestamp]: malformed,
    [SIGNATURE_HEADERS.signature]: hmacHex(
      SECRET,
      responseSigningString(200, EXECUTE_PATH, malformed, response.requestNonce, response.body),
    ),
  };
  assert.equal(problem(forged), 'the response timestamp is outside the tolerance');

  const fields = responseSignature(SECRET, time, response);
  assert.equal(fields.nonce, response.requestNonce, 'the response repeats the request nonce');
});
