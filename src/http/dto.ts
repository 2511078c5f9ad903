import { parkedFor } from '../domain/parking.ts';
import type { PipelineSummaryRecord } from '../store/pipeline-summaries.ts';
import type { ExecutionRecord, InteractionRecord } from '../store/records.ts';

/**
 * The status object of `GET /executions/{id}` (TPF's fields, plus the pin, the current step's
 * name and DLQ reason). `errorStack`, where the failing step threw (truncated), is there only
 * when one was kept and asked for: a single execution's status, not a list page (docs/compat.md).
 */
export function executionStatusDto(
  x: ExecutionRecord,
  hasWorker: boolean,
  extras: { stepId?: string | null; errorStack?: string | undefined } = {},
) {
  const { stepId = null, errorStack } = extras;
  const due = x.status === 'QUEUED' || x.status === 'WAIT_RETRY';
  // Parked for want of a worker: its due time is a sentinel, shown as when it may run next.
  const parked = due ? parkedFor(x.nextDueAtMs) : undefined;
  return {
    executionId: x.executionId,
    status: x.status,
    stepIndex: x.stepIndex,
    /** The name of the step at `stepIndex`, from the pinned release's contract (null when unknown). */
    stepId,
    attempt: x.attempt,
    version: x.version,
    pipelineId: x.pipelineId,
    contractVersion: x.contractVersion,
    releaseVersion: x.releaseVersion,
    awaitUnitId: x.awaitUnitId,
    nextDueAtEpochMs: parked ? parked.notBeforeMs : x.nextDueAtMs,
    createdAtEpochMs: x.createdAtMs,
    updatedAtEpochMs: x.updatedAtMs,
    errorCode: x.errorCode,
    errorMessage: x.errorMessage,
    dlqReason: x.dlqReason,
    waitingFor:
      parked || (due && !hasWorker) ? 'worker' : x.status === 'WAITING_EXTERNAL' ? 'interaction' : null,
    ...(errorStack === undefined ? {} : { errorStack }),
  };
}

export type ExecutionStatusDto = ReturnType<typeof executionStatusDto>;

/** An interaction as the pending inbox returns it (TPF's `AwaitInteractionDto`). */
export function interactionDto(i: InteractionRecord) {
  return {
    interactionId: i.interactionId,
    correlationId: i.correlationId,
    executionId: i.executionId,
    stepId: i.stepId,
    stepIndex: i.stepIndex,
    status: i.status,
    requestPayload: i.requestPayload,
    assignee: i.assignee,
    group: i.group,
    transportType: i.transportType,
    transportMetadata: {},
    deadlineEpochMs: i.deadlineAtMs,
    createdAtEpochMs: i.createdAtMs,
    updatedAtEpochMs: i.updatedAtMs,
  };
}

/** A pipeline as `GET …/pipelines` lists it. */
export function pipelineDto(p: PipelineSummaryRecord & { hosted: boolean }) {
  return {
    pipelineId: p.pipelineId,
    activeReleaseVersion: p.activeReleaseVersion,
    releaseCount: p.releaseCount,
    hosted: p.hosted,
    liveCounts: p.liveCounts,
  };
}
