import type { SegmentCommand } from '../segment/transition-worker.ts';
import type { ClaimedSegment, Store } from '../store/store-port.ts';
import { stepAttemptOf } from '../domain/step-attempt.ts';
import { idempotencyAttemptOf } from './idempotency-attempt.ts';

/**
 * The command a claimed segment runs by, whichever worker runs it: pushed by the dispatcher
 * or handed to a pull worker that asked for work. `attempt` is the step's try number counted
 * across re-drives, never the same for two tries.
 */
export async function segmentCommandOf(store: Store, segment: ClaimedSegment): Promise<SegmentCommand> {
  const x = segment.execution;
  const offset = stepAttemptOf(x) - x.attempt;
  const command: SegmentCommand = {
    tenantId: x.tenantId,
    executionId: x.executionId,
    pipelineId: x.pipelineId,
    contractVersion: x.contractVersion,
    releaseVersion: x.releaseVersion,
    currentStepIndex: x.stepIndex,
    attempt: offset + x.attempt,
    executionVersion: x.version,
    leaseEpoch: x.leaseEpoch,
    transitionKey: `${x.executionId}:${x.stepIndex}:${offset + x.attempt}`,
    // An item's continuation stops before its parent's aggregate step.
    ...(x.endStepIndex === null ? {} : { stopBeforeStepIndex: x.endStepIndex }),
    input: segment.input,
  };
  // Still sent for workers that predate the stable `ctx.idempotencyKey` and key by attempt.
  const idempotencyAttempt = offset + (await idempotencyAttemptOf(store, x));
  return idempotencyAttempt === command.attempt ? command : { ...command, idempotencyAttempt };
}
