/** What both dialects share about items (docs/items.md): child keys, events and outcomes. */
import { TERMINAL_STATUSES } from '../domain/execution-status.ts';
import type { ItemOutcome } from '../sdk/define-pipeline.ts';
import { parseJson } from './rows.ts';
import type { NewItem } from './store-port.ts';

/** A child's idempotency key: a repeated expansion of the same parent names the same children. */
export const itemKey = (parentKey: string, index: number): string => `${parentKey}:item:${index}`;

/** The parent's columns a child inherits: its tenant and its pin. */
export interface ParentPin {
  readonly tenant_id: string;
  readonly pipeline_id: string;
  readonly contract_version: string;
  readonly release_version: string;
  readonly execution_key: string;
  readonly traceparent: string | null;
}

/** The data of a child's `submitted` event: what the fold needs to rebuild the child's row. */
export function itemSubmittedData(
  parentId: string,
  parent: ParentPin,
  item: NewItem,
  index: number,
  at: { stepIndex: number; endStepIndex: number | null },
): Record<string, unknown> {
  return {
    tenantId: parent.tenant_id,
    pipelineId: parent.pipeline_id,
    contractVersion: parent.contract_version,
    releaseVersion: parent.release_version,
    executionKey: itemKey(parent.execution_key, index),
    inputFingerprint: item.inputFingerprint,
    input: item.input,
    ...(parent.traceparent === null ? {} : { traceparent: parent.traceparent }),
    parentExecutionId: parentId,
    itemIndex: index,
    stepIndex: at.stepIndex,
    endStepIndex: at.endStepIndex,
  };
}

/** The columns of a child that its outcome is made of, read in item order. */
export const ITEM_OUTCOME_SQL = `SELECT item_index, status, result_json, error_code, error_message
  FROM executions WHERE parent_execution_id = ? ORDER BY item_index`;

export interface ItemOutcomeRow {
  item_index: number;
  status: string;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
}

/** A terminal child as the aggregate sees it; a child that is somehow still open counts as cancelled. */
export function itemOutcomeFromRow(r: ItemOutcomeRow): ItemOutcome<unknown> {
  if (r.status === 'SUCCEEDED')
    return { index: r.item_index, status: 'SUCCEEDED', output: parseJson(r.result_json) };
  const status = r.status === 'DLQ' || r.status === 'FAILED' ? r.status : 'CANCELLED';
  return { index: r.item_index, status, errorCode: r.error_code, errorMessage: r.error_message };
}

/** The guard of an expansion's parent: running, under the claimed epoch, at the expand step (named parameters). */
export const ITEM_FENCE_SQL = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch AND step_index = @stepIndex`;

/** The terminal statuses as an SQL list, for `status IN (…)`. */
export const TERMINAL_SQL_LIST = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');
