/** Row shapes and record mappers shared by both dialects: the same column names, JSON as text. */
import type { DlqReason, ExecutionStatus, InteractionStatus } from '../domain/execution-status.ts';
import { stepAttemptOf } from '../domain/step-attempt.ts';
import type { ExpiredLease, Leadership } from './store-port.ts';
import type { ExecutionRecord, InteractionRecord } from './records.ts';

export interface ExecutionRow {
  execution_id: string;
  tenant_id: string;
  pipeline_id: string;
  contract_version: string;
  release_version: string;
  execution_key: string;
  input_fingerprint: string;
  input_json: string;
  status: string;
  version: number;
  step_index: number;
  attempt: number;
  lease_epoch: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  next_due_at: number | null;
  await_unit_id: string | null;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
  dlq_reason: string | null;
  failure_fingerprint: string | null;
  failed_step_id: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  chain_key_attempt: number | null;
  chain_seq: number | null;
  attempt_offset: number;
  attempt_offset_step: number;
  traceparent: string | null;
  parent_execution_id: string | null;
  item_index: number | null;
  end_step_index: number | null;
  items_total: number | null;
  items_open: number | null;
  items_failed: number | null;
  schedule_id: string | null;
}

export interface InteractionRow {
  interaction_id: string;
  tenant_id: string;
  execution_id: string;
  unit_id: string;
  correlation_id: string;
  step_id: string;
  step_index: number;
  status: string;
  request_json: string;
  response_json: string | null;
  response_fingerprint: string | null;
  completion_key: string | null;
  actor: string | null;
  assignee: string | null;
  group_name: string | null;
  transport_type: string;
  deadline_at: number;
  created_at: number;
  updated_at: number;
}

export const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
export const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

export function executionFromRow(row: ExecutionRow): ExecutionRecord {
  return {
    tenantId: row.tenant_id,
    executionId: row.execution_id,
    pipelineId: row.pipeline_id,
    contractVersion: row.contract_version,
    releaseVersion: row.release_version,
    executionKey: row.execution_key,
    inputFingerprint: row.input_fingerprint,
    input: parseJson(row.input_json),
    status: row.status as ExecutionStatus,
    version: row.version,
    stepIndex: row.step_index,
    attempt: row.attempt,
    leaseEpoch: row.lease_epoch,
    leaseOwner: row.lease_owner,
    leaseExpiresAtMs: row.lease_expires_at,
    nextDueAtMs: row.next_due_at,
    awaitUnitId: row.await_unit_id,
    result: parseJson(row.result_json),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    dlqReason: row.dlq_reason as DlqReason | null,
    failureFingerprint: row.failure_fingerprint ?? null,
    failedStepId: row.failed_step_id ?? null,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
    expiresAtMs: row.expires_at,
    chainKeyAttempt: row.chain_key_attempt,
    chainSeq: row.chain_seq,
    attemptOffset: row.attempt_offset,
    attemptOffsetStep: row.attempt_offset_step,
    traceparent: row.traceparent,
    parentExecutionId: row.parent_execution_id ?? null,
    itemIndex: row.item_index ?? null,
    endStepIndex: row.end_step_index ?? null,
    itemsTotal: row.items_total ?? null,
    itemsOpen: row.items_open ?? null,
    itemsFailed: row.items_failed ?? null,
    scheduleId: row.schedule_id ?? null,
  };
}

export function executionToRow(x: ExecutionRecord): ExecutionRow {
  return {
    execution_id: x.executionId,
    tenant_id: x.tenantId,
    pipeline_id: x.pipelineId,
    contract_version: x.contractVersion,
    release_version: x.releaseVersion,
    execution_key: x.executionKey,
    input_fingerprint: x.inputFingerprint,
    input_json: JSON.stringify(x.input),
    status: x.status,
    version: x.version,
    step_index: x.stepIndex,
    attempt: x.attempt,
    lease_epoch: x.leaseEpoch,
    lease_owner: x.leaseOwner,
    lease_expires_at: x.leaseExpiresAtMs,
    next_due_at: x.nextDueAtMs,
    await_unit_id: x.awaitUnitId,
    result_json: toJson(x.result),
    error_code: x.errorCode,
    error_message: x.errorMessage,
    dlq_reason: x.dlqReason,
    failure_fingerprint: x.failureFingerprint,
    failed_step_id: x.failedStepId,
    created_at: x.createdAtMs,
    updated_at: x.updatedAtMs,
    expires_at: x.expiresAtMs,
    chain_key_attempt: x.chainKeyAttempt,
    chain_seq: x.chainSeq,
    attempt_offset: x.attemptOffset,
    attempt_offset_step: x.attemptOffsetStep,
    traceparent: x.traceparent,
    parent_execution_id: x.parentExecutionId,
    item_index: x.itemIndex,
    end_step_index: x.endStepIndex,
    items_total: x.itemsTotal,
    items_open: x.itemsOpen,
    items_failed: x.itemsFailed,
    schedule_id: x.scheduleId,
  };
}

export function interactionFromRow(row: InteractionRow): InteractionRecord {
  return {
    tenantId: row.tenant_id,
    interactionId: row.interaction_id,
    correlationId: row.correlation_id,
    executionId: row.execution_id,
    unitId: row.unit_id,
    stepId: row.step_id,
    stepIndex: row.step_index,
    status: row.status as InteractionStatus,
    requestPayload: parseJson(row.request_json),
    responsePayload: parseJson(row.response_json),
    responseFingerprint: row.response_fingerprint,
    completionKey: row.completion_key,
    actor: row.actor,
    assignee: row.assignee,
    group: row.group_name,
    transportType: row.transport_type,
    deadlineAtMs: row.deadline_at,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

export function interactionToRow(i: InteractionRecord): InteractionRow {
  return {
    interaction_id: i.interactionId,
    tenant_id: i.tenantId,
    execution_id: i.executionId,
    unit_id: i.unitId,
    correlation_id: i.correlationId,
    step_id: i.stepId,
    step_index: i.stepIndex,
    status: i.status,
    request_json: JSON.stringify(i.requestPayload),
    response_json: toJson(i.responsePayload),
    response_fingerprint: i.responseFingerprint,
    completion_key: i.completionKey,
    actor: i.actor,
    assignee: i.assignee,
    group_name: i.group,
    transport_type: i.transportType,
    deadline_at: i.deadlineAtMs,
    created_at: i.createdAtMs,
    updated_at: i.updatedAtMs,
  };
}

export const EXECUTION_COLUMNS = Object.keys(executionToRow({} as ExecutionRecord)) as (keyof ExecutionRow)[];
export const INTERACTION_COLUMNS = Object.keys(
  interactionToRow({} as InteractionRecord),
) as (keyof InteractionRow)[];

/** `INSERT INTO table (cols) VALUES (@cols)` for named-parameter rows. */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
}

export interface LeadershipRow {
  role: string;
  holder: string;
  epoch: number;
  acquired_at: number;
  expires_at: number;
}

export const leadershipFromRow = (r: LeadershipRow): Leadership => ({
  role: r.role,
  holder: r.holder,
  epoch: r.epoch,
  acquiredAtMs: r.acquired_at,
  expiresAtMs: r.expires_at,
});

/** The columns `findExpiredLeases` reads, in both dialects. */
export const EXPIRED_LEASE_COLUMNS =
  'execution_id, lease_epoch, attempt, attempt_offset, attempt_offset_step, step_index, tenant_id, ' +
  'pipeline_id, release_version, execution_key';

export interface ExpiredLeaseRow {
  execution_id: string;
  lease_epoch: number;
  attempt: number;
  attempt_offset: number;
  attempt_offset_step: number;
  step_index: number;
  tenant_id: string;
  pipeline_id: string;
  release_version: string;
  execution_key: string;
}

export function expiredLeaseFromRow(r: ExpiredLeaseRow): ExpiredLease {
  const count = {
    stepIndex: r.step_index,
    attempt: r.attempt,
    attemptOffset: r.attempt_offset,
    attemptOffsetStep: r.attempt_offset_step,
  };
  return {
    executionId: r.execution_id,
    leaseEpoch: r.lease_epoch,
    attempt: r.attempt,
    stepAttempt: stepAttemptOf(count),
    stepIndex: r.step_index,
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    releaseVersion: r.release_version,
    executionKey: r.execution_key,
  };
}
