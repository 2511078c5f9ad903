import type { ExpiredExecution, Store } from '../store-port.ts';
import {
  EXECUTION_TABLES,
  EXPIRED_COLUMNS,
  EXPIRED_WHERE,
  expiredFromRow,
  type ExpiredRow,
} from '../retention-rows.ts';
import { stillLeads } from './leadership.ts';
import type { Statements } from './statements.ts';

// Retention (docs/retention.md). Reads run on the store's connection; the purge runs inside
// the group commit's transaction, bounded by `limit` executions, so the single writer is
// never held for longer than one small batch.

export function findExpired(sql: Statements, nowMs: number, limit: number): ExpiredExecution[] {
  const rows = sql
    .get(
      `SELECT ${EXPIRED_COLUMNS} FROM executions WHERE ${EXPIRED_WHERE}
       ORDER BY expires_at, execution_id LIMIT @limit`,
    )
    .all({ nowMs, limit }) as ExpiredRow[];
  return rows.map(expiredFromRow);
}

export function listItemIds(
  sql: Statements,
  parentExecutionId: string,
  after: { itemIndex: number; executionId: string } | undefined,
  limit: number,
): { executionId: string; itemIndex: number }[] {
  const rows = sql
    .get(
      `SELECT execution_id, item_index FROM executions
       WHERE parent_execution_id = @parentId
         AND (item_index > @afterIndex OR (item_index = @afterIndex AND execution_id > @afterId))
       ORDER BY item_index, execution_id LIMIT @limit`,
    )
    .all({
      parentId: parentExecutionId,
      afterIndex: after?.itemIndex ?? -1,
      afterId: after?.executionId ?? '',
      limit,
    }) as { execution_id: string; item_index: number }[];
  return rows.map((r) => ({ executionId: r.execution_id, itemIndex: r.item_index }));
}

/**
 * One retention batch: at most `limit` executions, each with every row of its own. The
 * candidates are the given ids (or, without them, the soonest-expired top-level executions),
 * checked again here: one re-driven since it was found has no expiry any more and stays. A
 * parent's items go first, the parent itself in the batch that removes its last item, so no
 * item ever outlives its parent; a parent with more items than the batch takes several.
 */
export function purgeExpired(sql: Statements, c: Parameters<Store['purgeExpired']>[0]): number {
  if (!stillLeads(sql, c.leader)) return 0;
  const { nowMs, limit } = c;
  const parents = (
    c.executionIds === undefined
      ? sql
          .get(
            `SELECT execution_id FROM executions WHERE ${EXPIRED_WHERE}
             ORDER BY expires_at, execution_id LIMIT @limit`,
          )
          .all({ nowMs, limit })
      : sql
          .get(
            `SELECT execution_id FROM executions
             WHERE execution_id IN (SELECT value FROM json_each(@ids)) AND ${EXPIRED_WHERE}
             ORDER BY expires_at, execution_id LIMIT @limit`,
          )
          .all({ nowMs, limit, ids: JSON.stringify(c.executionIds) })
  ).map((r) => (r as { execution_id: string }).execution_id);
  const itemsOf = sql.get(
    'SELECT execution_id FROM executions WHERE parent_execution_id = ? ORDER BY item_index LIMIT ?',
  );
  const doomed: string[] = [];
  for (const parent of parents) {
    const room = limit - doomed.length;
    if (room <= 0) break;
    const items = (itemsOf.all(parent, room) as { execution_id: string }[]).map((r) => r.execution_id);
    doomed.push(...items);
    // Every item of it is in this batch, and there is room for the parent too.
    if (items.length < room) doomed.push(parent);
  }
  if (doomed.length === 0) return 0;
  const ids = JSON.stringify(doomed);
  for (const table of EXECUTION_TABLES)
    sql.get(`DELETE FROM ${table} WHERE execution_id IN (SELECT value FROM json_each(?))`).run(ids);
  return doomed.length;
}

/** Deletes up to `limit` outbox messages delivered before `beforeMs`, oldest first. */
export function pruneDeliveredOutbox(sql: Statements, beforeMs: number, limit: number): number {
  return sql
    .get(
      `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
         WHERE delivered_at IS NOT NULL AND delivered_at <= ? ORDER BY delivered_at LIMIT ?)`,
    )
    .run(beforeMs, limit).changes;
}
