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
import type { Statements } from './statements.ts';

// Items (docs/items.md) are child executions. These commands run inside the caller's
// transaction: the expansion with the segment that reached the expand step, the settling of
// an item with the child's terminal transition, so the parent's counters never drift from
// its children's statuses, whatever crashes between two transactions.

type Expansion = Extract<SegmentOutcome, { kind: 'expand' }>;

/**
 * Parks the parent `WAITING_ITEMS` and writes one QUEUED child per item, with its `submitted`
 * event: one prepared statement reused for every row, all in the caller's transaction (one
 * fsync however many items). False when the fence did not hold.
 */
export function expand(sql: Statements, fence: Fence, o: Expansion, nowMs: number): boolean {
  const n = o.items.length;
  const parent = sql
    .get(
      `UPDATE executions SET status = 'WAITING_ITEMS', step_index = @resumeStepIndex, attempt = 0,
         lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL, items_total = @n, items_open = @n,
         items_failed = 0, version = version + 1, updated_at = @nowMs
       WHERE ${FENCED}
       RETURNING version, tenant_id, pipeline_id, contract_version, release_version, execution_key, traceparent`,
    )
    .get({ ...fence, stepIndex: o.stepIndex, resumeStepIndex: o.resumeStepIndex, n, nowMs }) as
    (ParentPin & { version: number }) | undefined;
  if (!parent) return false;
  appendEvent(sql, fence.executionId, parent.version, JournalEventType.EXPANDED, nowMs, {
    stepIndex: o.stepIndex,
    items: n,
    resumeStepIndex: o.resumeStepIndex,
  });
  const insert = sql.get(
    `INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
       execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
       next_due_at, created_at, updated_at, traceparent, parent_execution_id, item_index, end_step_index)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'QUEUED', 1, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const at = { stepIndex: o.stepIndex + 1, endStepIndex: o.endStepIndex };
  for (const [index, item] of o.items.entries()) {
    insert.run(
      item.executionId,
      parent.tenant_id,
      parent.pipeline_id,
      parent.contract_version,
      parent.release_version,
      itemKey(parent.execution_key, index),
      item.inputFingerprint,
      JSON.stringify(item.input ?? null),
      at.stepIndex,
      nowMs,
      nowMs,
      nowMs,
      parent.traceparent,
      fence.executionId,
      index,
      o.endStepIndex,
    );
    appendEvent(
      sql,
      item.executionId,
      1,
      JournalEventType.SUBMITTED,
      nowMs,
      itemSubmittedData(fence.executionId, parent, item, index, at),
    );
  }
  // No items: nothing to wait for, the aggregate is due at once.
  if (n === 0) releaseAggregate(sql, fence.executionId, 0, nowMs);
  return true;
}

/**
 * The one place an item's terminal transition reaches its parent, called in that transition's
 * transaction by every command that ends a child: one fewer open item (one more failed, when
 * it did not succeed), and at the last one the parent is queued at its aggregate step. The
 * guard on `WAITING_ITEMS` makes the release happen once: SQLite has one writer, and the
 * release moves the parent out of the status the guard needs.
 */
export function settleItem(
  sql: Statements,
  parentExecutionId: string | null,
  failed: boolean,
  nowMs: number,
): void {
  if (parentExecutionId === null) return;
  const parent = sql
    .get(
      `UPDATE executions SET items_open = items_open - 1, items_failed = items_failed + ?
       WHERE execution_id = ? AND status = 'WAITING_ITEMS' RETURNING items_open, items_failed`,
    )
    .get(failed ? 1 : 0, parentExecutionId) as { items_open: number; items_failed: number } | undefined;
  if (parent?.items_open === 0) releaseAggregate(sql, parentExecutionId, parent.items_failed, nowMs);
}

function releaseAggregate(
  sql: Statements,
  parentExecutionId: string,
  itemsFailed: number,
  nowMs: number,
): void {
  const row = sql
    .get(
      `UPDATE executions SET status = 'QUEUED', next_due_at = ?, version = version + 1, updated_at = ?
       WHERE execution_id = ? AND status = 'WAITING_ITEMS' RETURNING version, items_total`,
    )
    .get(nowMs, nowMs, parentExecutionId) as { version: number; items_total: number } | undefined;
  if (!row) return;
  appendEvent(sql, parentExecutionId, row.version, JournalEventType.ITEMS_COMPLETED, nowMs, {
    itemsTotal: row.items_total,
    itemsFailed,
  });
}

/**
 * Re-opens an item about to be re-driven: possible only while its parent still waits for its
 * items (the aggregate has not seen its outcome). False when the parent has moved on.
 */
export function reopenItem(sql: Statements, parentExecutionId: string): boolean {
  return (
    sql
      .get(
        `UPDATE executions SET items_open = items_open + 1, items_failed = items_failed - 1
         WHERE execution_id = ? AND status = 'WAITING_ITEMS'`,
      )
      .run(parentExecutionId).changes === 1
  );
}

/**
 * Cancels a parent's open items with it (their leases fenced out, their interactions
 * cancelled, each journaled); returns how many, which the parent's counters move by.
 */
export function cancelOpenItems(
  sql: Statements,
  parentExecutionId: string,
  c: { reason: string; nowMs: number; expiresAtMs: number },
): number {
  const open = sql
    .get(
      `SELECT execution_id, status FROM executions WHERE parent_execution_id = ? AND status NOT IN (${TERMINAL})`,
    )
    .all(parentExecutionId) as { execution_id: string; status: string }[];
  const cancel = sql.get(
    `UPDATE executions SET status = 'CANCELLED', lease_epoch = lease_epoch + 1, lease_owner = NULL,
       lease_expires_at = NULL, next_due_at = NULL, expires_at = ?, version = version + 1, updated_at = ?
     WHERE execution_id = ? RETURNING version, lease_epoch`,
  );
  const interactions = sql.get(
    `UPDATE await_interactions SET status = 'CANCELLED', updated_at = ? WHERE execution_id = ? AND status = 'WAITING'`,
  );
  for (const child of open) {
    const row = cancel.get(c.expiresAtMs, c.nowMs, child.execution_id) as {
      version: number;
      lease_epoch: number;
    };
    interactions.run(c.nowMs, child.execution_id);
    appendEvent(sql, child.execution_id, row.version, JournalEventType.CANCELLED, c.nowMs, {
      previousStatus: child.status,
      reason: c.reason,
      leaseEpoch: row.lease_epoch,
      expiresAtMs: c.expiresAtMs,
    });
  }
  return open.length;
}

/** A parent's items' outcomes in item order: the aggregate step's input (one indexed read). */
export function itemOutcomes(sql: Statements, parentExecutionId: string): ItemOutcome<unknown>[] {
  return (sql.get(ITEM_OUTCOME_SQL).all(parentExecutionId) as ItemOutcomeRow[]).map(itemOutcomeFromRow);
}
