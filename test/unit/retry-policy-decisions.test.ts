// The retry rule decision by decision: which failures retry, the exact backoff, and which terminal
// state and reason the rest lead to. Exact numbers come from a random source fixed at one value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideFailure, type RetryPolicy } from '../../src/domain/retry-policy.ts';
import type { Random } from '../../src/runtime/random.ts';

const policy: RetryPolicy = {
  maxRetries: 3,
  retryDelayMs: 1_000,
  retryMultiplier: 3,
  retryMaxDelayMs: 20_000,
  jitter: 0.5,
};

/** A random source that always draws `value` (0 ≤ value < 1). */
const fixed = (value: number): Random => ({
  next: () => value,
  uuid: () => '00000000-0000-4000-8000-000000000000',
});

const NOW = 5_000_000;

test('a retryable failure below maxRetries retries with attempt + 1 after delay × multiplier^attempt', () => {
  // random 0.5 is the centre of the jitter band: no spread.
  const centre = fixed(0.5);
  for (const [attempt, delay] of [
    [0, 1_000],
    [1, 3_000],
    [2, 9_000],
  ] as const) {
    assert.deepEqual(decideFailure(policy, { attempt, retryable: true, skipDlq: false }, NOW, centre), {
      kind: 'retry',
      attempt: attempt + 1,
      dueAtMs: NOW + delay,
    });
  }
});

test('the delay is capped at retryMaxDelay before the jitter is applied', () => {
  const many = { ...policy, maxRetries: 10 };
  const decision = decideFailure(many, { attempt: 5, retryable: true, skipDlq: false }, NOW, fixed(0.5));
  assert.deepEqual(decision, { kind: 'retry', attempt: 6, dueAtMs: NOW + 20_000 });
  // Lowest draw: 20 000 − 50 % = 10 000, so the cap came first (3^5 s − 50 % would be 121 500).
  const low = decideFailure(many, { attempt: 5, retryable: true, skipDlq: false }, NOW, fixed(0));
  assert.deepEqual(low, { kind: 'retry', attempt: 6, dueAtMs: NOW + 10_000 });
});

test('jitter moves the delay by up to ± jitter × delay, rounded to whole milliseconds', () => {
  const facts = { attempt: 1, retryable: true, skipDlq: false };
  const at = (draw: number) => {
    const decision = decideFailure(policy, facts, NOW, fixed(draw));
    assert.equal(decision.kind, 'retry');
    return decision.kind === 'retry' ? decision.dueAtMs - NOW : NaN;
  };
  assert.equal(at(0), 1_500, 'lowest draw: 3 000 − 50 %');
  assert.equal(at(0.75), 3_750, 'upper half: 3 000 + 25 %');
  assert.equal(at(0.0001), 1_500, '3 000 − 1 499.7 = 1 500.3, rounded');
});

test('a jitter wider than the delay never schedules a retry in the past', () => {
  const wild = { ...policy, jitter: 3 };
  const decision = decideFailure(wild, { attempt: 0, retryable: true, skipDlq: false }, NOW, fixed(0));
  assert.deepEqual(decision, { kind: 'retry', attempt: 1, dueAtMs: NOW });
});

test('retries exhausted at attempt = maxRetries: DLQ with retry_exhausted, or the given reason', () => {
  const exhausted = { attempt: 3, retryable: true, skipDlq: false };
  assert.deepEqual(decideFailure(policy, exhausted, NOW, fixed(0.5)), {
    kind: 'dlq',
    reason: 'retry_exhausted',
  });
  assert.deepEqual(
    decideFailure(policy, { ...exhausted, exhaustedReason: 'lease_lost_exhausted' }, NOW, fixed(0.5)),
    { kind: 'dlq', reason: 'lease_lost_exhausted' },
  );
  assert.deepEqual(decideFailure(policy, { ...exhausted, skipDlq: true }, NOW, fixed(0.5)), {
    kind: 'failed',
    reason: 'retry_exhausted',
  });
});

test('a non-retryable failure is terminal at once, whatever the attempt, and says so', () => {
  for (const attempt of [0, 2, 3]) {
    assert.deepEqual(decideFailure(policy, { attempt, retryable: false, skipDlq: false }, NOW, fixed(0.5)), {
      kind: 'dlq',
      reason: 'non_retryable',
    });
    assert.deepEqual(
      decideFailure(
        policy,
        { attempt, retryable: false, skipDlq: true, exhaustedReason: 'lease_lost_exhausted' },
        NOW,
        fixed(0.5),
      ),
      { kind: 'failed', reason: 'non_retryable' },
    );
  }
});

test('maxRetries 0 never retries', () => {
  const none = { ...policy, maxRetries: 0 };
  assert.deepEqual(decideFailure(none, { attempt: 0, retryable: true, skipDlq: false }, NOW, fixed(0.5)), {
    kind: 'dlq',
    reason: 'retry_exhausted',
  });
});
