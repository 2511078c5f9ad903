import type { Random } from '../runtime/random.ts';
import type { DlqReason } from './execution-status.ts';

export interface RetryPolicy {
  /** Failed tries of one step allowed after the first: `attempt < maxRetries` retries. */
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly retryMultiplier: number;
  readonly retryMaxDelayMs: number;
  /** Jitter as a fraction of the delay: 0.2 spreads retries over ±20 %. */
  readonly jitter: number;
}

/** What a failure of the current step leads to. */
export type FailureDecision =
  | { readonly kind: 'retry'; readonly attempt: number; readonly dueAtMs: number }
  | { readonly kind: 'dlq'; readonly reason: DlqReason }
  | { readonly kind: 'failed'; readonly reason: DlqReason };

export interface FailureFacts {
  /** Failed tries of the current step so far (0 on the first try). */
  readonly attempt: number;
  readonly retryable: boolean;
  /** The DLQ is disabled, or the step opted out with `dlq: false`. */
  readonly skipDlq: boolean;
  /** The reason to record when retries are exhausted (normally `retry_exhausted`). */
  readonly exhaustedReason?: DlqReason;
}

/**
 * The retry rule (docs/architecture.md#the-execution-state-machine): a retryable failure with
 * `attempt < maxRetries` waits `min(delay × multiplier^attempt, maxDelay)` ± jitter and tries
 * again with `attempt + 1`; anything else is terminal: DLQ, or FAILED when the DLQ is skipped.
 */
export function decideFailure(
  policy: RetryPolicy,
  facts: FailureFacts,
  nowMs: number,
  random: Random,
): FailureDecision {
  if (facts.retryable && facts.attempt < policy.maxRetries) {
    const base = Math.min(
      policy.retryDelayMs * policy.retryMultiplier ** facts.attempt,
      policy.retryMaxDelayMs,
    );
    const spread = base * policy.jitter * (2 * random.next() - 1);
    return {
      kind: 'retry',
      attempt: facts.attempt + 1,
      dueAtMs: nowMs + Math.max(0, Math.round(base + spread)),
    };
  }
  const reason: DlqReason = facts.retryable ? (facts.exhaustedReason ?? 'retry_exhausted') : 'non_retryable';
  return facts.skipDlq ? { kind: 'failed', reason } : { kind: 'dlq', reason };
}
