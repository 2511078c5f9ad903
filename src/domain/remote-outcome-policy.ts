import { DlqReason } from './execution-status.ts';
import type { Random } from '../runtime/random.ts';
import { decideFailure, type FailureDecision, type RetryPolicy } from './retry-policy.ts';

export type RemoteOutcomeUnknownPolicy = 'retry' | 'dlq';

/**
 * What a try whose outcome is unknown leads to (docs/architecture.md#the-execution-state-machine).
 * Never a plain failure: `retry` counts it as a failed, retryable try (its retries keep the
 * step's idempotency key, so step code can recognise a side effect that did happen), and
 * exhausting the budget that way is `remote_outcome_unknown`; `dlq` sends it to the DLQ at once
 * for an operator to decide.
 */
export function decideUnknownOutcome(
  policy: RemoteOutcomeUnknownPolicy,
  retry: RetryPolicy,
  facts: { attempt: number; skipDlq: boolean },
  nowMs: number,
  random: Random,
): FailureDecision {
  const reason = DlqReason.REMOTE_OUTCOME_UNKNOWN;
  if (policy === 'dlq') return facts.skipDlq ? { kind: 'failed', reason } : { kind: 'dlq', reason };
  return decideFailure(retry, { ...facts, retryable: true, exhaustedReason: reason }, nowMs, random);
}
