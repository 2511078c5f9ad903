import { decodeEnvelope } from '../payloads/tpf-envelope.ts';
import type { SegmentResult, StepOutput } from '../segment/transition-worker.ts';
import { decodeStepOutputs, encodeStepOutputs, payloadOf, STEP_OUTPUT_TYPE_ID } from './command-codec.ts';
import type { ParsedResultEnvelope, ResultEnvelope } from './envelopes.ts';
import { FailureCode } from '../domain/failure-codes.ts';
import { truncateStack } from '../domain/error-stack.ts';

export const REQUEST_PAYLOAD_TYPE_ID = 'capstan.await.request';
/** The failure class of a command refused before anything ran. */
export const IDENTITY_MISMATCH = 'TransitionIdentityMismatch';

/** The outcomes a worker reports over the wire; the others are the coordinator's own. */
export type ReportedResult = Extract<
  SegmentResult,
  { outcome: 'COMPLETED' | 'WAITING_EXTERNAL' | 'FAILED' | 'REFUSED' }
>;

/**
 * The result envelope of a segment a worker ran. `stepOutputs` are the outputs it completed
 * before stopping (also before a failing step), which the coordinator checkpoints first.
 */
export function encodeResult(
  result: ReportedResult,
  at: { tenantId: string; executionId: string; currentStepIndex: number },
  stepOutputs: readonly StepOutput[],
): ResultEnvelope {
  const outputs = encodeStepOutputs(stepOutputs);
  switch (result.outcome) {
    case 'COMPLETED':
      return {
        outcome: 'COMPLETED',
        outputPayloads: [payloadOf(STEP_OUTPUT_TYPE_ID, result.output)],
        stepIndex: result.stepIndex,
        stepOutputs: outputs,
      };
    case 'WAITING_EXTERNAL': {
      const s = result.suspension;
      return {
        outcome: 'WAITING_EXTERNAL',
        awaitSuspension: {
          tenantId: at.tenantId,
          executionId: at.executionId,
          stepIndex: result.stepIndex,
          stepId: s.stepId,
          requestPayload: payloadOf(REQUEST_PAYLOAD_TYPE_ID, s.requestPayload),
          deadlineMs: s.deadlineMs,
          group: s.group,
          assignee: s.assignee,
          transportType: s.transportType,
        },
        stepIndex: result.stepIndex,
        stepOutputs: outputs,
      };
    }
    case 'FAILED': {
      const { stack, ...failure } = result.failure;
      const kept = truncateStack(stack);
      return {
        outcome: 'FAILED',
        failure: { ...failure, ...(kept === undefined ? {} : { stack: kept }) },
        stepIndex: result.stepIndex,
        stepOutputs: outputs,
      };
    }
    case 'REFUSED':
      // TPF reports a mismatch as a FAILED transition; the flag tells Capstan nothing ran.
      return {
        outcome: 'FAILED',
        failure: {
          failureClass: IDENTITY_MISMATCH,
          message: result.reason,
          nonRetryable: false,
          code: FailureCode.DISPATCH_REFUSED,
          dispatchError: true,
        },
        stepIndex: at.currentStepIndex,
        stepOutputs: [],
      };
  }
}

/** Reads a validated result envelope back into the seam's terms. */
export function decodeResult(envelope: ParsedResultEnvelope): SegmentResult {
  const outputs = decodeStepOutputs(envelope.stepOutputs);
  const { stepIndex } = envelope;
  if (envelope.outcome === 'COMPLETED') {
    const [payload] = envelope.outputPayloads;
    return { outcome: 'COMPLETED', stepIndex, output: payload ? decodeEnvelope(payload) : null, outputs };
  }
  const s = envelope.awaitSuspension;
  if (envelope.outcome === 'WAITING_EXTERNAL' && s) {
    return {
      outcome: 'WAITING_EXTERNAL',
      stepIndex,
      suspension: {
        stepId: s.stepId,
        requestPayload: decodeEnvelope(s.requestPayload),
        deadlineMs: s.deadlineMs,
        group: s.group,
        assignee: s.assignee,
        transportType: s.transportType,
      },
      outputs,
    };
  }
  const f = envelope.failure;
  if (!f) throw new Error(`a ${envelope.outcome} result without its part`);
  if (f.dispatchError) return { outcome: 'REFUSED', reason: f.message };
  const stack = truncateStack(f.stack);
  return {
    outcome: 'FAILED',
    stepIndex,
    failure: {
      failureClass: f.failureClass,
      code: f.code ?? f.failureClass,
      message: f.message,
      nonRetryable: f.nonRetryable,
      skipDlq: f.skipDlq,
      ...(stack === undefined ? {} : { stack }),
    },
    outputs,
  };
}
