import { JournalEventType } from '../../domain/journal-events.ts';
import type { ItemOutcome } from '../../sdk/define-pipeline.ts';
import {
  ITEM_FENCE_SQL as FENCED,
  ITEM_OUTCOME_SQL,
  TERMINAL_SQL_LIST as TERMINAL,
  itemKey,
  itemOutcomeFromRow,
  itemSubmittedData,
  type ItemOutcomeRow,
  type ParentPin,
} from '../item-rows.ts';
import type { Fence, SegmentOutcome } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { exec, row, rows, type Db } from './sql.ts';

// Items (docs/items.md) are child executions. These commands run inside the caller's
// transaction: the expansion with the segment that reached the expand step, the settling of
// an item with the child's terminal transition, so the parent's counters never drift from
// its children's statuses, whatever crashes between two transactions.

type Expansion = Extract<SegmentOutcome, { kind: 'expand' }>;

/**
 * Every child of an expansion in one multi-row INSERT (parallel arrays, `unnest`), and their
 * `submitted` events in a CTE of the same statement: 10,000 items are one round trip.
 */
const INSERT_ITEMS = `WITH input AS (
    SELECT * FROM unnest(@executionIds::text[], @keys::text[], @fingerprints::text[], @inputJsons::text[],
      @indexes::integer[], @dataJsons::text[]) AS i (execution_id, execution_key, input_fingerprint, input_json,
      item_index, data_json)),
  inserted AS (
    INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
      execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
      next_due_at, created_at, updated_at, traceparent, parent_execution_id, item_index, end_step_index)
    SELECT execution_id, @tenantId::text, @pipelineId::text, @contractVersion::text, @releaseVersion::text,
      execution_key, input_fingerprint, input_json, 'QUEUED', 1, @stepIndex::integer, 0, 0, @nowMs::bigint,
      @nowMs::bigint, @nowMs::bigint, @traceparent::text, @parentId::text, item_index, @endStepIndex::integer
    FROM input ORDER BY item_index
    RETURNING execution_id)
  INSERT INTO journal (execution_id, seq, type, at, data_json)
  SELECT execution_id, 1, @eventType::text, @nowMs::bigint, data_json FROM input`;

/**
 * Parks the parent `WAITING_ITEMS` and writes one QUEUED child per item, each with its
 * `submitted` event, in the caller's transaction. False when the fence did not hold.
 */
export async function expand(db: Db, fence: Fence, o: Expansion, nowMs: number): Promise<boolean> {
  const n = o.items.length;
  const parent = await row<ParentPin & { version: number }>(
    db,
    `UPDATE executions SET status = 'WAITING_ITEMS', step_index = @resumeStepIndex, attempt = 0,
       lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL, items_total = @n, items_open = @n,
       items_failed = 0, version = version + 1, updated_at = @nowMs
     WHERE ${FENCED}
     RETURNING version, tenant_id, pipeline_id, contract_version, release_version, execution_key, traceparent`,
    { ...fence, stepIndex: o.stepIndex, resumeStepIndex: o.resumeStepIndex, n, nowMs },
  );
  if (!parent) return false;
  await appendEvent(db, fence.executionId, parent.version, JournalEventType.EXPANDED, nowMs, {
    stepIndex: o.stepIndex,
    items: n,
    resumeStepIndex: o.resumeStepIndex,
  });
  if (n === 0) {
    // No items: nothing to wait for, the aggregate is due at once.
    await releaseAggregate(db, fence.executionId, 0, nowMs);
    return true;
  }
  const at = { stepIndex: o.stepIndex + 1, endStepIndex: o.endStepIndex };
  await exec(db, INSERT_ITEMS, {
    executionIds: o.items.map((i) => i.executionId),
    keys: o.items.map((_, index) => itemKey(parent.execution_key, index)),
    fingerprints: o.items.map((i) => i.inputFingerprint),
    inputJsons: o.items.map((i) => JSON.stringify(i.input ?? null)),
    indexes: o.items.map((_, index) => index),
    dataJsons: o.items.map((item, index) =>
      JSON.stringify(itemSubmittedData(fence.executionId, parent, item, index, at)),
    ),
    tenantId: parent.tenant_id,
    pipelineId: parent.pipeline_id,
    contractVersion: parent.contract_version,
    releaseVersion: parent.release_version,
    traceparent: parent.traceparent,
    parentId: fence.executionId,
    stepIndex: at.stepIndex,
    endStepIndex: at.endStepIndex,
    nowMs,
    eventType: JournalEventType.SUBMITTED,
  });
  return true;
}

/**
 * The one place an item's terminal transition reaches its parent, called in that transition's
 * transaction by every command that ends a child: one fewer open item (one more failed, when
 * it did not succeed), and at the last one the parent is queued at its aggregate step. The
 * UPDATE takes the parent's row lock, so items ending at once on several nodes are counted
 * one after another, and only the one that reaches 0 sees 0: the release happens once.
 */
export async function settleItem(
  db: Db,
  parentExecutionId: string | null,
  failed: boolean,
  nowMs: number,
): Promise<void> {
  if (parentExecutionId === null) return;
  const parent = await row<{ items_open: number; items_failed: number }>(
    db,
    `UPDATE executions SET items_open = items_open - 1, items_failed = items_failed + @failed
     WHERE execution_id = @parentId AND status = 'WAITING_ITEMS' RETURNING items_open, items_failed`,
    { failed: failed ? 1 : 0, parentId: parentExecutionId },
  );
  if (parent?.items_open === 0) await releaseAggregate(db, parentExecutionId, parent.items_failed, nowMs);
}

/** Settles the items among the rows a batched command ended, parents in a fixed order (no deadlock). */
export async function settleItems(
  db: Db,
  ended: readonly { parent_execution_id: string | null }[],
  failed: boolean,
  nowMs: number,
): Promise<void> {
  const parents = ended
    .map((r) => r.parent_execution_id)
    .filter((p): p is string => p !== null)
    .sort();
  for (const parent of parents) await settleItem(db, parent, failed, nowMs);
}

async function releaseAggregate(db: Db, parentId: string, itemsFailed: number, nowMs: number): Promise<void> {
  const released = await row<{ version: number; items_total: number }>(
    db,
    `UPDATE executions SET status = 'QUEUED', next_due_at = @nowMs, version = version + 1, updated_at = @nowMs
     WHERE execution_id = @parentId AND status = 'WAITING_ITEMS' RETURNING version, items_total`,
    { nowMs, parentId },
  );
  if (!released) return;
  await appendEvent(db, parentId, released.version, JournalEventType.ITEMS_COMPLETED, nowMs, {
    itemsTotal: released.items_total,
    itemsFailed,
  });
}

/** Re-opens an item about to be re-driven, while its parent still waits for its items. */
export async function reopenItem(db: Db, parentExecutionId: string): Promise<boolean> {
  const reopened = await exec(
    db,
    `UPDATE executions SET items_open = items_open + 1, items_failed = items_failed - 1
     WHERE execution_id = @parentId AND status = 'WAITING_ITEMS'`,
    { parentId: parentExecutionId },
  );
  return reopened === 1;
}

/** Cancels a parent's open items with it, each journaled; returns how many. */
export async function cancelOpenItems(
  db: Db,
  parentExecutionId: string,
  c: { reason: string; nowMs: number; expiresAtMs: number },
): Promise<number> {
  const cancelled = await rows<{ execution_id: string }>(
    db,
    `WITH open AS (
       SELECT execution_id, status FROM executions
       WHERE parent_execution_id = @parentId AND status NOT IN (${TERMINAL}) FOR UPDATE),
     moved AS (
       UPDATE executions AS x SET status = 'CANCELLED', lease_epoch = x.lease_epoch + 1, lease_owner = NULL,
         lease_expires_at = NULL, next_due_at = NULL, expires_at = @expiresAtMs, version = x.version + 1,
         updated_at = @nowMs
       FROM open WHERE x.execution_id = open.execution_id
       RETURNING x.execution_id, x.version, x.lease_epoch, open.status AS previous_status),
     interactions AS (
       UPDATE await_interactions SET status = 'CANCELLED', updated_at = @nowMs
       WHERE execution_id IN (SELECT execution_id FROM moved) AND status = 'WAITING'),
     event AS (
       INSERT INTO journal (execution_id, seq, type, at, data_json)
       SELECT execution_id, version, @eventType::text, @nowMs::bigint,
         json_build_object('previousStatus', previous_status, 'reason', @reason::text,
           'leaseEpoch', lease_epoch, 'expiresAtMs', @expiresAtMs::bigint)::text
       FROM moved)
     SELECT execution_id FROM moved`,
    {
      parentId: parentExecutionId,
      expiresAtMs: c.expiresAtMs,
      nowMs: c.nowMs,
      reason: c.reason,
      eventType: JournalEventType.CANCELLED,
    },
  );
  return cancelled.length;
}

/** A parent's items' outcomes in item order: the aggregate step's input (one indexed read). */
export async function itemOutcomes(db: Db, parentExecutionId: string): Promise<ItemOutcome<unknown>[]> {
  const found = await rows<ItemOutcomeRow>(db, ITEM_OUTCOME_SQL.replace('?', '@parentId'), {
    parentId: parentExecutionId,
  });
  return found.map(itemOutcomeFromRow);
}
