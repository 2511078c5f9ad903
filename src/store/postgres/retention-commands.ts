import type { ExpiredExecution, Store } from '../store-port.ts';
import {
  EXECUTION_TABLES,
  EXPIRED_COLUMNS,
  EXPIRED_WHERE,
  expiredFromRow,
  type ExpiredRow,
} from '../retention-rows.ts';
import { stillLeads } from './leadership.ts';
import { exec, rows, type Db } from './sql.ts';

// Retention (docs/retention.md). A purge batch runs inside the group commit's transaction and
// never waits for a lock: the executions it deletes are terminal (no live command writes
// them), and the rows it takes are locked `FOR UPDATE SKIP LOCKED`, so a row another
// transaction holds (a re-drive racing the purge, another node's batch) is left for later.

export async function findExpired(db: Db, nowMs: number, limit: number): Promise<ExpiredExecution[]> {
  const found = await rows<ExpiredRow>(
    db,
    `SELECT ${EXPIRED_COLUMNS} FROM executions WHERE ${EXPIRED_WHERE}
     ORDER BY expires_at, execution_id LIMIT @limit`,
    { nowMs, limit },
  );
  return found.map(expiredFromRow);
}

export async function listItemIds(
  db: Db,
  parentExecutionId: string,
  after: { itemIndex: number; executionId: string } | undefined,
  limit: number,
): Promise<{ executionId: string; itemIndex: number }[]> {
  const found = await rows<{ execution_id: string; item_index: number }>(
    db,
    `SELECT execution_id, item_index FROM executions
     WHERE parent_execution_id = @parentId AND (item_index, execution_id) > (@afterIndex::integer, @afterId::text)
     ORDER BY item_index, execution_id LIMIT @limit`,
    {
      parentId: parentExecutionId,
      afterIndex: after?.itemIndex ?? -1,
      afterId: after?.executionId ?? '',
      limit,
    },
  );
  return found.map((r) => ({ executionId: r.execution_id, itemIndex: r.item_index }));
}

/**
 * One retention batch: at most `limit` executions, each with every row of its own, in a
 * constant number of statements whatever the batch holds. The candidates (the given ids, or
 * the soonest-expired top-level executions) are checked again under their row locks: one
 * re-driven since it was found has no expiry any more and stays. A parent's items go first,
 * the parent itself in the batch that removes its last item, so no item ever outlives its
 * parent; a parent with more items than the batch takes several.
 */
export async function purgeExpired(db: Db, c: Parameters<Store['purgeExpired']>[0]): Promise<number> {
  if (!(await stillLeads(db, c.leader))) return 0;
  const { nowMs, limit } = c;
  const parents = (
    await rows<{ execution_id: string }>(
      db,
      c.executionIds === undefined
        ? `SELECT execution_id FROM executions WHERE ${EXPIRED_WHERE}
           ORDER BY expires_at, execution_id LIMIT @limit FOR UPDATE SKIP LOCKED`
        : `SELECT execution_id FROM executions WHERE execution_id = ANY(@ids::text[]) AND ${EXPIRED_WHERE}
           ORDER BY expires_at, execution_id LIMIT @limit FOR UPDATE SKIP LOCKED`,
      { nowMs, limit, ...(c.executionIds === undefined ? {} : { ids: c.executionIds }) },
    )
  ).map((r) => r.execution_id);
  if (parents.length === 0) return 0;
  // The first parents' items first: their parents can then go in this batch too.
  const items = (
    await rows<{ execution_id: string }>(
      db,
      `SELECT execution_id FROM executions WHERE parent_execution_id = ANY(@parents::text[])
       ORDER BY array_position(@parents::text[], parent_execution_id), item_index
       LIMIT @limit FOR UPDATE SKIP LOCKED`,
      { parents, limit },
    )
  ).map((r) => r.execution_id);
  await deleteExecutions(db, items);
  // Parents with no item left (an item another transaction holds keeps its parent), in order.
  const emptied = (
    await rows<{ p: string }>(
      db,
      `SELECT p FROM unnest(@parents::text[]) WITH ORDINALITY AS u (p, ord)
       WHERE NOT EXISTS (SELECT 1 FROM executions WHERE parent_execution_id = u.p)
       ORDER BY ord LIMIT @room`,
      { parents, room: limit - items.length },
    )
  ).map((r) => r.p);
  await deleteExecutions(db, emptied);
  return items.length + emptied.length;
}

async function deleteExecutions(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  for (const table of EXECUTION_TABLES)
    await exec(db, `DELETE FROM ${table} WHERE execution_id = ANY(@ids::text[])`, { ids });
}

/** Deletes up to `limit` outbox messages delivered before `beforeMs`, oldest first. */
export function pruneDeliveredOutbox(db: Db, beforeMs: number, limit: number): Promise<number> {
  return exec(
    db,
    `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
       WHERE delivered_at IS NOT NULL AND delivered_at <= @beforeMs ORDER BY delivered_at LIMIT @limit
       FOR UPDATE SKIP LOCKED)`,
    { beforeMs, limit },
  );
}
