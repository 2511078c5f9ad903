import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FINGERPRINT_LENGTH,
  failureFingerprint,
  normaliseFailureMessage,
} from '../../src/dlq/failure-fingerprint.ts';

describe('normaliseFailureMessage', () => {
  it('replaces numbers, UUIDs, hex ids and quoted strings with placeholders', () => {
    assert.equal(
      normaliseFailureMessage('order 4711 for customer "Ada Lovelace" failed after 2.5s'),
      'order <n> for customer <str> failed after <n>s',
    );
    assert.equal(
      normaliseFailureMessage('execution 3f2b8c1e-9d4a-4e8b-a1c2-0f9e8d7c6b5a not found'),
      'execution <uuid> not found',
    );
    assert.equal(
      normaliseFailureMessage('object 5f8d0d55b54764421b7156c3 at 0xDEADBEEF'),
      'object <hex> at <hex>',
    );
    assert.equal(normaliseFailureMessage("key 'a-7' and `x 9`"), 'key <str> and <str>');
  });

  it('takes a quoted value whole, even when it holds an id or digits', () => {
    assert.equal(
      normaliseFailureMessage('bad ref "3f2b8c1e-9d4a-4e8b-a1c2-0f9e8d7c6b5a #12"'),
      'bad ref <str>',
    );
  });

  it('leaves words alone, hex-looking ones included, and collapses whitespace', () => {
    assert.equal(normaliseFailureMessage('  accepted   deadbeef\n\tcafe  '), 'accepted deadbeef cafe');
  });
});

describe('failureFingerprint', () => {
  const base = { pipelineId: 'orders', stepId: 'charge', errorCode: 'card_declined' };

  it('is the same for failures that differ only in their ids and values', () => {
    const a = failureFingerprint({
      ...base,
      errorMessage: 'charge 81 of order 3f2b8c1e-9d4a-4e8b-a1c2-0f9e8d7c6b5a declined: "insufficient funds"',
    });
    const b = failureFingerprint({
      ...base,
      errorMessage: 'charge 9002 of order 0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 declined: "card expired"',
    });
    assert.equal(a, b);
    assert.match(a, new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`));
  });

  it('differs by pipeline, step, error code and the message text', () => {
    const m = 'charge 81 declined';
    const of = (x: Partial<typeof base> & { errorMessage?: string }) =>
      failureFingerprint({ ...base, errorMessage: m, ...x });
    const all = new Set([
      of({}),
      of({ pipelineId: 'refunds' }),
      of({ stepId: 'capture' }),
      of({ errorCode: 'timeout' }),
      of({ errorMessage: 'charge 81 refused' }),
    ]);
    assert.equal(all.size, 5);
  });

  it('keeps the fields apart: no value runs into the next', () => {
    assert.notEqual(
      failureFingerprint({ pipelineId: 'a', stepId: 'bc', errorCode: 'x', errorMessage: '' }),
      failureFingerprint({ pipelineId: 'ab', stepId: 'c', errorCode: 'x', errorMessage: '' }),
    );
  });
});
