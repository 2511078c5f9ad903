import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { EXECUTE_PATH } from '../../src/worker-protocol/envelopes.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { NonceGuard } from '../../src/worker-protocol/nonce-guard.ts';
import { RequestVerifier } from '../../src/worker-protocol/request-verifier.ts';
import { responseProblem, signRequest, signResponse } from '../../src/worker-protocol/signed-messages.ts';
import { SIGNATURE_HEADERS } from '../../src/worker-protocol/signing.ts';

const TOLERANCE_MS = 120_000;
const body = JSON.stringify({ executionId: 'e1', payload: '{"n":1}' });

function setup(workerKeys: ConstructorParameters<typeof KeyRing>[0] = { defaultSecret: 'old-secret' }) {
  const time = new ManualTime();
  const random = seededRandom(1);
  const verifier = new RequestVerifier({
    keys: new KeyRing(workerKeys),
    clock: time,
    toleranceMs: TOLERANCE_MS,
  });
  const sign = (keys: KeyRing, request = { method: 'POST', path: EXECUTE_PATH, body }) =>
    signRequest(keys, { clock: time, random }, request);
  const verify = (headers: Record<string, string>, request = { method: 'POST', path: EXECUTE_PATH, body }) =>
    verifier.verify({ ...request, headers });
  return { time, sign, verify };
}

const refused = (outcome: ReturnType<RequestVerifier['verify']>, reason: RegExp) => {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  if (!outcome.ok) {
    assert.equal(outcome.status, 401);
    assert.match(outcome.reason, reason);
  }
};

test("TPF's scheme byte for byte: hex(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(sha256(body))))", () => {
  const { sign, verify } = setup();
  const signed = sign(new KeyRing({ defaultSecret: 'old-secret' }));
  const h = signed.headers;
  const expected = createHmac('sha256', 'old-secret')
    .update(
      `POST\n${EXECUTE_PATH}\n${h[SIGNATURE_HEADERS.timestamp]}\n${h[SIGNATURE_HEADERS.nonce]}\n` +
        createHash('sha256').update(body).digest('hex'),
    )
    .digest('hex');
  assert.equal(h[SIGNATURE_HEADERS.signature], expected);
  assert.match(
    h[SIGNATURE_HEADERS.timestamp] ?? '',
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'an ISO instant',
  );
  assert.equal(h[SIGNATURE_HEADERS.keyId], undefined, 'the default key sends no key id, as TPF');
  assert.deepEqual(verify(h), { ok: true, keyId: undefined, nonce: signed.nonce });
});

test('refused: missing headers, a tampered body, path or method, a malformed signature', () => {
  const { sign, verify } = setup();
  const keys = new KeyRing({ defaultSecret: 'old-secret' });
  refused(verify({}), /missing signature headers/);
  refused(
    verify(sign(keys).headers, { method: 'POST', path: EXECUTE_PATH, body: body.replace('1', '2') }),
    /mismatch/,
  );
  refused(
    verify(sign(keys).headers, { method: 'POST', path: '/pipeline/worker/capabilities', body }),
    /mismatch/,
  );
  refused(verify(sign(keys).headers, { method: 'PUT', path: EXECUTE_PATH, body }), /mismatch/);
  refused(verify({ ...sign(keys).headers, [SIGNATURE_HEADERS.signature]: 'zz' }), /mismatch/);
  refused(verify(sign(new KeyRing({ defaultSecret: 'not-the-secret' })).headers), /mismatch/);
});

test('refused: a timestamp older (or newer) than the 2-minute tolerance, or malformed', () => {
  const { time, sign, verify } = setup();
  const keys = new KeyRing({ defaultSecret: 'old-secret' });
  const old = sign(keys);
  time.advance(TOLERANCE_MS + 1);
  refused(verify(old.headers), /outside the tolerance/);
  const early = sign(keys);
  time.advance(-2 * (TOLERANCE_MS + 1));
  refused(verify(early.headers), /outside the tolerance/);
  refused(
    verify({ ...sign(keys).headers, [SIGNATURE_HEADERS.timestamp]: '1767225600000' }),
    /malformed timestamp/,
  );
  const atEdge = sign(keys);
  time.advance(TOLERANCE_MS);
  assert.equal(verify(atEdge.headers).ok, true, 'exactly at the tolerance is still accepted');
});

test('refused: a replayed nonce, until its timestamp could no longer pass anyway', () => {
  const { sign, verify } = setup();
  const signed = sign(new KeyRing({ defaultSecret: 'old-secret' }));
  assert.equal(verify(signed.headers).ok, true);
  refused(verify(signed.headers), /nonce already used/);

  const guard = new NonceGuard(2);
  assert.equal(guard.admit('a', 1_000, 0), 'fresh');
  assert.equal(guard.admit('a', 1_000, 500), 'replayed');
  assert.equal(guard.admit('b', 1_000, 500), 'fresh');
  assert.equal(guard.admit('c', 1_000, 500), 'full', 'a full cache refuses rather than forget a live nonce');
  assert.equal(guard.admit('c', 3_000, 1_001), 'fresh', 'expired nonces make room');
  assert.equal(guard.size, 1);
});

test('key ids: an unknown or wrong key id is refused; a rotated key is accepted beside the old one', () => {
  const { sign, verify } = setup({ defaultSecret: 'old-secret', keys: { k2: 'new-secret' } });
  const rotated = sign(
    new KeyRing({ defaultSecret: 'old-secret', keys: { k2: 'new-secret' }, signingKeyId: 'k2' }),
  );
  assert.equal(rotated.headers[SIGNATURE_HEADERS.keyId], 'k2');
  assert.deepEqual(verify(rotated.headers), { ok: true, keyId: 'k2', nonce: rotated.nonce });
  const stillOld = sign(new KeyRing({ defaultSecret: 'old-secret' }));
  assert.equal(verify(stillOld.headers).ok, true, 'coordinators not yet switched still get through');

  refused(
    verify({ ...sign(new KeyRing({ keys: { k3: 'x' }, signingKeyId: 'k3' })).headers }),
    /unknown key id 'k3'/,
  );
  // The old secret presented under the new key's id.
  const mislabelled = sign(new KeyRing({ defaultSecret: 'old-secret' }));
  refused(verify({ ...mislabelled.headers, [SIGNATURE_HEADERS.keyId]: 'k2' }), /mismatch/);
  // Once the old key is dropped, its signatures are refused.
  const after = setup({ keys: { k2: 'new-secret' } });
  refused(after.verify(after.sign(new KeyRing({ defaultSecret: 'old-secret' })).headers), /no default key/);
  assert.throws(() => new KeyRing({ keys: { k2: 'x' }, signingKeyId: 'k9' }), /names no configured key/);
});

test('responses are signed over the request nonce: tampering, another request, or another key is detected', () => {
  const { time } = setup();
  const keys = new KeyRing({ defaultSecret: 'old-secret', keys: { k2: 'new-secret' } });
  const text = JSON.stringify({ outcome: 'COMPLETED' });
  const response = { status: 200, path: EXECUTE_PATH, requestNonce: 'nonce-1', body: text };
  const headers = signResponse('new-secret', time, response);
  const check = (overrides: Partial<typeof response> & { headers?: Record<string, string> }, keyId = 'k2') =>
    responseProblem(keys, keyId, time, TOLERANCE_MS, { ...response, headers, ...overrides });
  assert.equal(check({}), undefined);
  assert.match(check({ body: text.replace('COMPLETED', 'FAILED') }) ?? '', /does not match/);
  assert.match(check({ status: 201 }) ?? '', /does not match/);
  assert.match(check({ requestNonce: 'nonce-2' }) ?? '', /another request/);
  const withDefaultKey = responseProblem(keys, undefined, time, TOLERANCE_MS, { ...response, headers });
  assert.match(withDefaultKey ?? '', /does not match/, 'signed with k2, checked with the default key');
  assert.match(check({ headers: {} }) ?? '', /not signed/);
  time.advance(TOLERANCE_MS + 1);
  assert.match(check({}) ?? '', /outside the tolerance/);
});
