import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideFailure, type RetryPolicy } from '../../src/domain/retry-policy.ts';
import { seededRandom } from '../../src/runtime/random.ts';

const policy: RetryPolicy = {
  maxRetries: 10,
  retryDelayMs: 10_000,
  retryMultiplier: 2,
  retryMaxDelayMs: 60_000,
  jitter: 0.2,
};
const facts = { retryable: true, skipDlq: false };

/** The delays of `n` retries decided at `attempt`, from one seeded stream. */
function delays(n: number, attempt: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const decision = decideFailure(policy, { ...facts, attempt }, 0, random);
    assert.equal(decision.kind, 'retry');
    return decision.kind === 'retry' ? decision.dueAtMs : NaN;
  });
}

test('jitter spreads retries over base ± 20 %: bounds held, the spread present and centred', () => {
  for (const [attempt, base] of [
    [0, 10_000],
    [2, 40_000],
    [5, 60_000], // capped at retryMaxDelay before the jitter
  ] as const) {
    for (const seed of [1, 2, 3]) {
      const sample = delays(4000, attempt, seed);
      const [low, high] = [Math.min(...sample), Math.max(...sample)];
      assert.ok(
        low >= base * 0.8 && high <= base * 1.2,
        `attempt ${attempt}: ${low}..${high} within ${base} ± 20 %`,
      );
      // Spread present: the sample reaches near both ends of the band, and is not a few values.
      assert.ok(
        low < base * 0.82 && high > base * 1.18,
        `attempt ${attempt}: ${low}..${high} spans the band`,
      );
      assert.ok(new Set(sample).size > 1000, 'thousands of distinct delays, not a constant');
      // Uniform over the band: mean at the base, a quarter of the draws in each quarter of the band.
      const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
      assert.ok(Math.abs(mean - base) < base * 0.01, `attempt ${attempt}: mean ${mean} ≈ ${base}`);
      for (let q = 0; q < 4; q++) {
        const [from, to] = [base * (0.8 + 0.1 * q), base * (0.9 + 0.1 * q)];
        const share = sample.filter((d) => d >= from && d < to).length / sample.length;
        assert.ok(share > 0.2 && share < 0.3, `attempt ${attempt}: quarter ${q} holds ${share}`);
      }
    }
  }
});
