import { isTerminal, type DlqReason, type ExecutionStatus } from './execution-status.ts';
import type { ExecutionRecord, InteractionRecord, JournalEvent } from '../store/records.ts';
import { chainAfterRetry, chainLinkOf } from './idempotency-chain.ts';
import { attemptOffsetAfterRedrive } from './step-attempt.ts';
import { JournalEventType as E } from './journal-events.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Everything the journal of one execution determines. */
export interface ExecutionProjection {
  execution: Mutable<ExecutionRecord>;
  stepOutputs: Map<number, unknown>;
  interactions: Map<string, Mutable<InteractionRecord>>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const num = (v: unknown): number => Number(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Folds one journal event into an execution's projection. This is the reference meaning of
 * every event: the store's guarded updates write the same columns, and a rebuild from the
 * journal must reproduce the live projection exactly.
 */
export function applyJournalEvent(
  state: ExecutionProjection | undefined,
  event: JournalEvent,
): ExecutionProjection {
  const d = event.data;
  if (event.type === E.SUBMITTED) {
    return {
      execution: {
        tenantId: str(d.tenantId),
        executionId: event.executionId,
        pipelineId: str(d.pipelineId),
        contractVersion: str(d.contractVersion),
        releaseVersion: str(d.releaseVersion),
        executionKey: str(d.executionKey),
        inputFingerprint: str(d.inputFingerprint),
        input: d.input,
        status: 'QUEUED',
        version: event.seq,
        stepIndex: typeof d.stepIndex === 'number' ? d.stepIndex : 0,
        attempt: 0,
        leaseEpoch: 0,
        leaseOwner: null,
        leaseExpiresAtMs: null,
        nextDueAtMs: event.atMs,
        awaitUnitId: null,
        result: null,
        errorCode: null,
        errorMessage: null,
        dlqReason: null,
        failureFingerprint: null,
        failedStepId: null,
        createdAtMs: event.atMs,
        updatedAtMs: event.atMs,
        expiresAtMs: null,
        chainKeyAttempt: null,
        chainSeq: null,
        attemptOffset: 0,
        attemptOffsetStep: 0,
        traceparent: typeof d.traceparent === 'string' ? d.traceparent : null,
        parentExecutionId: strOrNull(d.parentExecutionId),
        itemIndex: numOrNull(d.itemIndex),
        endStepIndex: numOrNull(d.endStepIndex),
        itemsTotal: null,
        itemsOpen: null,
        itemsFailed: null,
        scheduleId: strOrNull(d.scheduleId),
      },
      stepOutputs: new Map(),
      interactions: new Map(),
    };
  }
  if (!state) throw new Error(`journal of ${event.executionId} does not start with '${E.SUBMITTED}'`);
  const x = state.execution;
  const before = { ...x };
  x.version = event.seq;
  x.updatedAtMs = event.atMs;
  const releaseLease = (): void => {
    x.leaseOwner = null;
    x.leaseExpiresAtMs = null;
  };
  const terminal = (status: ExecutionStatus): void => {
    x.status = status;
    x.nextDueAtMs = null;
    x.expiresAtMs = numOrNull(d.expiresAtMs);
    releaseLease();
  };
  switch (event.type) {
    case E.ATTEMPT_STARTED:
      x.status = 'RUNNING';
      x.leaseEpoch = num(d.leaseEpoch);
      x.leaseOwner = str(d.leaseOwner);
      x.leaseExpiresAtMs = num(d.leaseExpiresAtMs);
      x.nextDueAtMs = null;
      break;
    case E.STEP_COMPLETED:
      state.stepOutputs.set(num(d.stepIndex), d.output);
      x.stepIndex = num(d.stepIndex) + 1;
      x.attempt = 0;
      break;
    case E.SUCCEEDED:
      state.stepOutputs.set(num(d.stepIndex), d.result);
      x.stepIndex = num(d.stepIndex) + 1;
      x.attempt = 0;
      x.result = d.result;
      x.awaitUnitId = null;
      x.errorCode = null;
      x.errorMessage = null;
      x.dlqReason = null;
      terminal('SUCCEEDED');
      break;
    case E.SUSPENDED: {
      const i = d.interaction as Record<string, unknown>;
      x.status = 'WAITING_EXTERNAL';
      x.awaitUnitId = str(i.unitId);
      x.nextDueAtMs = null;
      releaseLease();
      state.interactions.set(str(i.interactionId), {
        tenantId: x.tenantId,
        interactionId: str(i.interactionId),
        correlationId: str(i.correlationId),
        executionId: x.executionId,
        unitId: str(i.unitId),
        stepId: str(i.stepId),
        stepIndex: num(d.stepIndex),
        // Held back by an admission budget: its deadline starts when it is admitted.
        status: d.admission === 'WAITING' ? 'ADMISSION_WAITING' : 'WAITING',
        requestPayload: i.requestPayload,
        responsePayload: null,
        responseFingerprint: null,
        completionKey: null,
        actor: null,
        assignee: strOrNull(i.assignee),
        group: strOrNull(i.group),
        transportType: str(i.transportType),
        deadlineAtMs: num(i.deadlineAtMs),
        createdAtMs: event.atMs,
        updatedAtMs: event.atMs,
      });
      break;
    }
    case E.INTERACTION_ADMITTED: {
      const interaction = state.interactions.get(str(d.interactionId));
      if (interaction) {
        interaction.status = 'WAITING';
        interaction.deadlineAtMs = num(d.deadlineAtMs);
        interaction.updatedAtMs = event.atMs;
      }
      break;
    }
    case E.INTERACTION_COMPLETED: {
      const interaction = state.interactions.get(str(d.interactionId));
      if (interaction) {
        interaction.status = 'COMPLETED';
        interaction.responsePayload = d.response;
        interaction.responseFingerprint = str(d.responseFingerprint);
        interaction.completionKey = str(d.completionKey);
        interaction.actor = strOrNull(d.actor);
        interaction.updatedAtMs = event.atMs;
      }
      state.stepOutputs.set(num(d.stepIndex), d.response);
      x.status = 'QUEUED';
      x.stepIndex = num(d.stepIndex) + 1;
      x.attempt = 0;
      x.nextDueAtMs = event.atMs;
      break;
    }
    case E.RETRY_SCHEDULED: {
      x.status = 'WAIT_RETRY';
      x.attempt = num(d.attempt);
      x.nextDueAtMs = num(d.dueAtMs);
      x.errorCode = strOrNull(d.errorCode);
      x.errorMessage = strOrNull(d.errorMessage);
      releaseLease();
      const link = chainLinkOf(x.errorCode ?? '');
      Object.assign(x, chainAfterRetry(before, link, x.attempt - 1, event.seq));
      break;
    }
    case E.MOVED_TO_DLQ:
    case E.FAILED: {
      x.errorCode = strOrNull(d.errorCode);
      x.errorMessage = strOrNull(d.errorMessage);
      x.dlqReason = str(d.reason) as DlqReason;
      x.failureFingerprint = strOrNull(d.fingerprint);
      x.failedStepId = strOrNull(d.stepId);
      terminal(event.type === E.MOVED_TO_DLQ ? 'DLQ' : 'FAILED');
      const interaction = d.interactionId ? state.interactions.get(str(d.interactionId)) : undefined;
      if (interaction) {
        interaction.status = 'TIMED_OUT';
        interaction.updatedAtMs = event.atMs;
      }
      break;
    }
    case E.REDRIVEN:
      Object.assign(x, attemptOffsetAfterRedrive(before));
      // Onto another release (docs/dlq.md#re-drive-targets); events before that change have none.
      if (typeof d.toRelease === 'string') x.releaseVersion = d.toRelease;
      x.status = 'QUEUED';
      x.attempt = 0;
      x.nextDueAtMs = event.atMs;
      x.errorCode = null;
      x.errorMessage = null;
      x.dlqReason = null;
      x.failureFingerprint = null;
      x.failedStepId = null;
      x.expiresAtMs = null;
      break;
    case E.CANCELLED:
      x.leaseEpoch = num(d.leaseEpoch);
      terminal('CANCELLED');
      for (const interaction of state.interactions.values()) {
        if (interaction.status === 'WAITING' || interaction.status === 'ADMISSION_WAITING') {
          interaction.status = 'CANCELLED';
          interaction.updatedAtMs = event.atMs;
        }
      }
      break;
    case E.EXPANDED:
      x.status = 'WAITING_ITEMS';
      x.stepIndex = num(d.resumeStepIndex);
      x.attempt = 0;
      x.nextDueAtMs = null;
      x.itemsTotal = num(d.items);
      x.itemsOpen = num(d.items);
      x.itemsFailed = 0;
      releaseLease();
      break;
    case E.ITEMS_COMPLETED:
      x.status = 'QUEUED';
      x.nextDueAtMs = event.atMs;
      x.itemsOpen = 0;
      x.itemsFailed = num(d.itemsFailed);
      break;
    default:
      throw new Error(`unknown journal event type '${event.type}'`);
  }
  return state;
}

/**
 * A parent's item counters are not journaled per item (a 10,000-item parent would get 10,000
 * events); they are what its children's statuses say, which this sets on the folded parents:
 * open = children not terminal, failed = children in DLQ, FAILED or CANCELLED.
 */
export function countItems(projections: readonly ExecutionProjection[]): void {
  const parents = new Map<string, Mutable<ExecutionRecord>>();
  for (const p of projections)
    if (p.execution.itemsTotal !== null) parents.set(p.execution.executionId, p.execution);
  for (const parent of parents.values()) {
    parent.itemsOpen = 0;
    parent.itemsFailed = 0;
  }
  for (const { execution: child } of projections) {
    const parent = child.parentExecutionId === null ? undefined : parents.get(child.parentExecutionId);
    if (!parent) continue;
    if (!isTerminal(child.status)) parent.itemsOpen = (parent.itemsOpen ?? 0) + 1;
    else if (child.status !== 'SUCCEEDED') parent.itemsFailed = (parent.itemsFailed ?? 0) + 1;
  }
}
