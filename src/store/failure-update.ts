import { JournalEventType } from '../domain/journal-events.ts';
import type { FailureDecision } from '../domain/retry-policy.ts';
import { CHAIN_AFTER_RETRY, chainParams } from './chain-sql.ts';
import type { Publication } from './store-port.ts';
import { truncateStack } from '../domain/error-stack.ts';

/** A failure to record on an execution under a guard: a try's, a lease reclaim's, a deadline's. */
export interface FailureCommand {
  readonly executionId: string;
  readonly leaseEpoch: number;
  readonly stepIndex: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** The step's stack: kept in the journal event (the failure record of the try), not on the row. */
  readonly errorStack?: string | undefined;
  /**
   * The failure's fingerprint and the failed step's id, kept on the row while it is DLQ (or
   * FAILED) for the DLQ listing and groups; absent, both are stored as null.
   */
  readonly fingerprint?: string | undefined;
  readonly stepId?: string | undefined;
  readonly decision: FailureDecision;
  readonly publication: Publication | undefined;
  readonly nowMs: number;
  readonly expiresAtMs: number;
  readonly asOfMs?: number;
  readonly interactionId?: string;
  /** Extra named parameters the guard refers to. */
  readonly guardParams?: Record<string, unknown>;
}

/** How long a stored error message may be. */
const MAX_ERROR_MESSAGE = 2000;

/**
 * What recording a failure writes, the same in both dialects: the SET terms of the guarded
 * UPDATE of the execution row (named parameters), its parameters, and the journal event that
 * goes with it. Each dialect runs the UPDATE under its guard, appends the event with the new
 * version, and enqueues the publication when the decision is the DLQ.
 */
export function failureUpdate(c: FailureCommand): {
  readonly set: string;
  readonly params: Record<string, unknown>;
  readonly event: { readonly type: JournalEventType; readonly data: Record<string, unknown> };
} {
  const errorMessage = c.errorMessage.slice(0, MAX_ERROR_MESSAGE);
  const errorStack = truncateStack(c.errorStack);
  const stack = errorStack === undefined ? {} : { errorStack };
  const params = {
    ...c.guardParams,
    executionId: c.executionId,
    leaseEpoch: c.leaseEpoch,
    stepIndex: c.stepIndex,
    errorCode: c.errorCode,
    errorMessage,
    nowMs: c.nowMs,
    asOfMs: c.asOfMs ?? c.nowMs,
  };
  const d = c.decision;
  if (d.kind === 'retry')
    return {
      set: `status = 'WAIT_RETRY', attempt = @attempt, next_due_at = @dueAtMs,
           error_code = @errorCode, error_message = @errorMessage, lease_owner = NULL, lease_expires_at = NULL,
           ${CHAIN_AFTER_RETRY}, version = version + 1, updated_at = @nowMs`,
      params: { ...params, ...chainParams(c.errorCode, d.attempt), attempt: d.attempt, dueAtMs: d.dueAtMs },
      event: {
        type: JournalEventType.RETRY_SCHEDULED,
        data: {
          stepIndex: c.stepIndex,
          attempt: d.attempt,
          dueAtMs: d.dueAtMs,
          errorCode: c.errorCode,
          errorMessage,
          ...stack,
        },
      },
    };
  return {
    set: `status = @status, dlq_reason = @reason, error_code = @errorCode,
         error_message = @errorMessage, failure_fingerprint = @fingerprint, failed_step_id = @failedStepId,
         lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL,
         expires_at = @expiresAtMs, version = version + 1, updated_at = @nowMs`,
    params: {
      ...params,
      status: d.kind === 'dlq' ? 'DLQ' : 'FAILED',
      reason: d.reason,
      fingerprint: c.fingerprint ?? null,
      failedStepId: c.stepId ?? null,
      expiresAtMs: c.expiresAtMs,
    },
    event: {
      type: d.kind === 'dlq' ? JournalEventType.MOVED_TO_DLQ : JournalEventType.FAILED,
      data: {
        stepIndex: c.stepIndex,
        reason: d.reason,
        errorCode: c.errorCode,
        errorMessage,
        ...(c.fingerprint === undefined ? {} : { fingerprint: c.fingerprint }),
        ...(c.stepId === undefined ? {} : { stepId: c.stepId }),
        ...stack,
        expiresAtMs: c.expiresAtMs,
        ...(c.interactionId ? { interactionId: c.interactionId } : {}),
      },
    },
  };
}
