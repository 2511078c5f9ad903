import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { RetryPolicy } from '../../src/domain/retry-policy.ts';
import { attemptOffsetAfterRedrive, stepAttemptOf } from '../../src/domain/step-attempt.ts';
import { effectiveRetryPolicy } from '../../src/domain/step-retry-policy.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { definePipeline, type StepRetryOptions } from '../../src/sdk/index.ts';

const global: RetryPolicy = {
  maxRetries: 3,
  retryDelayMs: 10_000,
  retryMultiplier: 2,
  retryMaxDelayMs: 1_800_000,
  jitter: 0.2,
};

const withRetry = (retry: StepRetryOptions) =>
  definePipeline({ id: 'p', input: z.object({}) }).step('charge', {
    output: z.object({}),
    retry,
    run: () => ({}),
  });

test('a step retry option is checked and converted at definePipeline time', () => {
  const step = withRetry({ maxRetries: 5, delay: 'PT2S', multiplier: 1.5, maxDelay: 'PT1M' }).steps[0];
  assert.deepEqual(step?.kind === 'step' && step.retry, {
    maxRetries: 5,
    delayMs: 2000,
    multiplier: 1.5,
    maxDelayMs: 60_000,
  });
  const zero = withRetry({ maxRetries: 0 }).steps[0];
  assert.deepEqual(zero?.kind === 'step' ? zero.retry : undefined, { maxRetries: 0 });
});

test('bad retry options fail with an error naming the step and the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ maxAttempts: 3 }, /step charge retry: unknown option 'maxAttempts'; the options are maxRetries/],
    [{ maxRetries: -1 }, /step charge retry\.maxRetries: -1 is not an integer from 0 to 1000/],
    [{ maxRetries: 1.5 }, /maxRetries: 1\.5 is not an integer/],
    [{ maxRetries: 1001 }, /maxRetries: 1001/],
    [{ multiplier: 0.5 }, /retry\.multiplier: 0\.5 is not a number from 1 to 100/],
    [{ multiplier: Number.NaN }, /retry\.multiplier: NaN/],
    [{ delay: 'soon' }, /retry\.delay: 'soon' is not an ISO-8601 duration/],
    [{ delay: -5 }, /retry\.delay: -5 is not a duration in ms/],
    [{ delay: 'PT10S', maxDelay: 'PT1S' }, /retry\.maxDelay: 1000 ms is shorter than the delay \(10000 ms\)/],
    [null, /step charge retry: expected an object/],
    [[], /step charge retry: expected an object/],
  ];
  for (const [retry, message] of cases)
    assert.throws(() => withRetry(retry as StepRetryOptions), message, JSON.stringify(retry));
});

test("the step's own fields override the global policy, the rest stays global", () => {
  assert.equal(effectiveRetryPolicy(global, undefined), global);
  assert.deepEqual(effectiveRetryPolicy(global, { maxRetries: 1, delayMs: 50 }), {
    ...global,
    maxRetries: 1,
    retryDelayMs: 50,
  });
  assert.deepEqual(effectiveRetryPolicy(global, { multiplier: 1, maxDelayMs: 100 }), {
    ...global,
    retryMultiplier: 1,
    retryMaxDelayMs: 100,
  });
  // A step's delay longer than the global cap is meant: the cap grows to it.
  assert.equal(effectiveRetryPolicy(global, { delayMs: 3_600_000 }).retryMaxDelayMs, 3_600_000);
});

test('the contract carries a step retry policy, and a pipeline without one keeps its contract version', () => {
  const plain = definePipeline({ id: 'p', input: z.object({}) }).step('charge', {
    output: z.object({}),
    run: () => ({}),
  });
  const contract = buildContract(plain);
  assert.equal('retry' in (contract.steps[0] ?? {}), false, 'no retry key, so the hash is as before');
  const withOwn = buildContract(withRetry({ maxRetries: 1, delay: 50 }));
  assert.deepEqual(withOwn.steps[0]?.retry, { maxRetries: 1, delayMs: 50 });
  assert.notEqual(withOwn.contractVersion, contract.contractVersion);
});

test('try numbers: a re-drive counts every try of the step before it, a later step starts at 0', () => {
  const fresh = { stepIndex: 2, attempt: 3, attemptOffset: 0, attemptOffsetStep: 0 };
  assert.equal(stepAttemptOf(fresh), 3);
  const once = { ...fresh, ...attemptOffsetAfterRedrive(fresh), attempt: 0 };
  assert.deepEqual([once.attemptOffset, once.attemptOffsetStep, stepAttemptOf(once)], [4, 2, 4]);
  const twice = { ...once, ...attemptOffsetAfterRedrive({ ...once, attempt: 1 }), attempt: 0 };
  assert.equal(stepAttemptOf(twice), 6, 'tries 4 and 5 came before the second re-drive');
  assert.equal(stepAttemptOf({ ...twice, stepIndex: 3 }), 0, 'the offset belongs to step 2 alone');
});
