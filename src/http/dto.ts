import type {
  Activation,
  AwaitAdmission,
  Completion,
  ExecutionStatus as ExecutionStatusBody,
  ExecutionStatusName,
  HistoryEvent,
  Interaction,
  PipelineSummary,
  Redriven,
  Release,
  Submitted,
  Worker,
} from '../api-schema/index.ts';
import type { WorkerRecord } from '../coordinator/workers/worker-lifecycle.ts';
import { parkedFor } from '../domain/parking.ts';
import type { PipelineSummaryRecord } from '../store/pipeline-summaries.ts';
import type { AwaitAdmissionRecord } from '../store/store-port.ts';
import type {
  ExecutionRecord,
  InteractionRecord,
  JournalEvent,
  ReleaseActivation,
  ReleaseRecord,
} from '../store/records.ts';

/**
 * Store records as the API answers them. Each mapping is typed by the body's schema
 * (`src/api-schema/`), which the OpenAPI document shows and `capstan/client` returns: a field
 * added here and not there (or the reverse) fails the type check.
 */

/**
 * The status object of `GET /executions/{id}` (TPF's fields, plus the pin, the current step's
 * name and DLQ reason). `errorStack`, where the failing step threw (truncated), is there only
 * when one was kept and asked for: a single execution's status, not a list page (docs/compat.md).
 */
export function executionStatusDto(
  x: ExecutionRecord,
  hasWorker: boolean,
  extras: { stepId?: string | null; errorStack?: string | undefined } = {},
): ExecutionStatusBody {
  const { stepId = null, errorStack } = extras;
  const due = x.status === 'QUEUED' || x.status === 'WAIT_RETRY';
  // Parked for want of a worker: its due time is a sentinel, shown as when it may run next.
  const parked = due ? parkedFor(x.nextDueAtMs) : undefined;
  return {
    executionId: x.executionId,
    status: x.status,
    stepIndex: x.stepIndex,
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
    ...itemFields(x),
    ...(x.scheduleId === null ? {} : { scheduleId: x.scheduleId }),
    ...(errorStack === undefined ? {} : { errorStack }),
  };
}

/**
 * An item names its parent and position; a parent that expanded shows its progress, from its
 * counters (no count query): what is neither open nor failed has succeeded.
 */
function itemFields(
  x: ExecutionRecord,
): Pick<ExecutionStatusBody, 'parentExecutionId' | 'itemIndex' | 'items'> {
  const item =
    x.parentExecutionId === null
      ? {}
      : {
          parentExecutionId: x.parentExecutionId,
          ...(x.itemIndex === null ? {} : { itemIndex: x.itemIndex }),
        };
  if (x.itemsTotal === null) return item;
  const open = x.itemsOpen ?? 0;
  const failed = x.itemsFailed ?? 0;
  return { ...item, items: { total: x.itemsTotal, succeeded: x.itemsTotal - open - failed, failed, open } };
}

/** What `POST …/executions` answers: the execution, and whether the submission named it again. */
export function submittedDto(tenantId: string, x: ExecutionRecord, duplicate: boolean): Submitted {
  return {
    executionId: x.executionId,
    duplicate,
    statusUrl: `/tpf/control-plane/tenants/${tenantId}/executions/${x.executionId}`,
    submittedAtEpochMs: x.createdAtMs,
    pipelineId: x.pipelineId,
    contractVersion: x.contractVersion,
    releaseVersion: x.releaseVersion,
  };
}

/** A journal event, the step it is about named beside its index. */
export function historyEventDto(e: JournalEvent, stepId: string | null): HistoryEvent {
  return { seq: e.seq, type: e.type, atEpochMs: e.atMs, stepId, data: e.data };
}

/** What a re-drive answers: the execution as it now stands, and the status it left. */
export function redrivenDto(
  tenantId: string,
  previousStatus: ExecutionStatusName,
  x: ExecutionRecord,
  previousReleaseVersion: string,
): Redriven {
  return {
    tenantId,
    executionId: x.executionId,
    previousStatus,
    status: x.status,
    version: x.version,
    currentStepIndex: x.stepIndex,
    attempt: x.attempt,
    pipelineId: x.pipelineId,
    contractVersion: x.contractVersion,
    releaseVersion: x.releaseVersion,
    previousReleaseVersion,
    updatedAtEpochMs: x.updatedAtMs,
  };
}

/** An interaction as the pending inbox returns it (TPF's `AwaitInteractionDto`). */
export function interactionDto(i: InteractionRecord): Interaction {
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

/** One await admission scope of a tenant (`GET …/awaits/admission`). */
export function awaitAdmissionDto(a: AwaitAdmissionRecord): AwaitAdmission[number] {
  return {
    pipelineId: a.pipelineId,
    stepId: a.stepId,
    limit: a.limit,
    outstanding: a.outstanding,
    waiting: a.waiting,
  };
}

/** What a completion answers: the interaction it completed, and whether it was already. */
export function completionDto(i: InteractionRecord, duplicate: boolean): Completion {
  return {
    interactionId: i.interactionId,
    executionId: i.executionId,
    stepId: i.stepId,
    status: i.status,
    duplicate,
  };
}

/** A pipeline as `GET …/pipelines` lists it. */
export function pipelineDto(p: PipelineSummaryRecord & { hosted: boolean }): PipelineSummary {
  return {
    pipelineId: p.pipelineId,
    activeReleaseVersion: p.activeReleaseVersion,
    releaseCount: p.releaseCount,
    hosted: p.hosted,
    liveCounts: p.liveCounts,
  };
}

/** A release as the admin API returns it (TPF's `PipelineReleaseRecord` fields). */
export function releaseDto(
  release: ReleaseRecord,
  activations: readonly ReleaseActivation[],
  active: ReleaseRecord | undefined,
): Release {
  const descriptor = release.descriptor as {
    artifacts?: { artifactId: string; digest: string; uri: string }[];
  };
  const primary = descriptor.artifacts?.find((a) => a.digest === release.primaryArtifactDigest);
  const lastActivation = activations.filter((a) => a.releaseVersion === release.releaseVersion).at(-1);
  return {
    tenantId: release.tenantId,
    pipelineId: release.pipelineId,
    contractVersion: release.contractVersion,
    releaseVersion: release.releaseVersion,
    status: active?.releaseVersion === release.releaseVersion ? 'ACTIVE' : 'REGISTERED',
    descriptor: release.descriptor,
    contract: release.contract,
    primaryArtifactId: primary?.artifactId ?? null,
    primaryArtifactDigest: release.primaryArtifactDigest,
    primaryArtifactUri: `sha256/${release.primaryArtifactDigest.replace(/^sha256:/, '')}`,
    createdAtEpochMs: release.createdAtMs,
    updatedAtEpochMs: lastActivation?.activatedAtMs ?? release.createdAtMs,
    activatedAtEpochMs: lastActivation?.activatedAtMs ?? null,
  };
}

/** One entry of a pipeline's activation history. */
export function activationDto(a: ReleaseActivation): Activation {
  return {
    seq: a.seq,
    tenantId: a.tenantId,
    pipelineId: a.pipelineId,
    releaseVersion: a.releaseVersion,
    activatedAtEpochMs: a.activatedAtMs,
    actor: a.actor,
  };
}

/** A worker as the admin API returns it (TPF's `PipelineWorkerRecord`), its state computed now. */
export function workerDto(w: WorkerRecord): Worker {
  return {
    tenantId: w.tenantId,
    pipelineId: w.pipelineId,
    workerId: w.workerId,
    contractVersion: w.contractVersion,
    releaseVersion: w.releaseVersion,
    protocol: w.protocol,
    endpoint: w.endpoint,
    artifactId: w.artifactId ?? null,
    artifactDigest: w.artifactDigest ?? null,
    state: w.state,
    registeredAtEpochMs: w.registeredAtMs,
    lastHeartbeatAtEpochMs: w.lastHeartbeatAtMs,
    drainingSinceEpochMs: w.drainingSinceMs,
  };
}
