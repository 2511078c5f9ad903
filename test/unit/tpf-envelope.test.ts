import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CapstanError } from '../../src/errors/catalog.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/payloads/tpf-envelope.ts';

const E = 'application/tpf-transition+json';
const envelope = (payloadTypeId: string, value: unknown) => ({
  payloadTypeId,
  payloadEncoding: E,
  payload: JSON.stringify(value),
});

test('TPF map encoding: every items element is an envelope of its own, decoded recursively', () => {
  const decision = envelope('java.util.Map', {
    items: {
      accepted: envelope('java.util.Map', {
        items: { orderId: envelope('java.lang.String', 'o-1'), note: envelope('java.lang.String', 'ok') },
      }),
    },
  });
  assert.deepEqual(decodeEnvelope(decision), { accepted: { orderId: 'o-1', note: 'ok' } });
  const list = envelope('java.util.List', {
    items: [envelope('java.lang.Integer', 1), envelope('null', null)],
  });
  assert.deepEqual(decodeEnvelope(list), [1, null]);
});

test('a flattened items map is accepted; plain data with an items key is left alone', () => {
  assert.deepEqual(decodeEnvelope(envelope('java.util.Map', { items: { accepted: { orderId: 'o-1' } } })), {
    accepted: { orderId: 'o-1' },
  });
  const order = { items: { pasta: 2 } };
  assert.deepEqual(decodeEnvelope(envelope('org.example.OrderDto', order)), order, 'a DTO is plain JSON');
  const nested = { items: { cart: { items: ['x'] } } };
  assert.deepEqual(decodeEnvelope(envelope('java.util.Map', nested)), { cart: { items: ['x'] } });
});

test('bad envelopes are invalid_payload_envelope', () => {
  const refused = (e: unknown) => e instanceof CapstanError && e.code === 'invalid_payload_envelope';
  assert.throws(() => decodeEnvelope({ payloadTypeId: 'x', payloadEncoding: E, payload: '{nope' }), refused);
  assert.throws(
    () => decodeEnvelope({ payloadTypeId: 'x', payloadEncoding: 'application/xml', payload: '{}' }),
    refused,
  );
  assert.throws(() => decodeEnvelope(envelope('java.util.Map', { notItems: 1 })), refused);
});

test('results are encoded as TPF returns a DTO: plain JSON in payload', () => {
  const encoded = encodeEnvelope('capstan.p.last.output', { outcome: 'APPROVED' });
  assert.equal(encoded.payloadEncoding, E);
  assert.deepEqual(JSON.parse(encoded.payload), { outcome: 'APPROVED' });
});
