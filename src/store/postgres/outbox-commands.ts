import type { OutboxMessage } from '../records.ts';
import type { Store } from '../store-port.ts';
import { outboxFromRow, type OutboxRow } from '../outbox-row.ts';
import { exec, rows, type Db } from './sql.ts';

const COLUMNS = 'id, topic, payload_json, created_at, attempts, parked_at, last_error';

export async function readOutbox(db: Db, limit: number): Promise<OutboxMessage[]> {
  const found = await rows<OutboxRow>(
    db,
    `SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT @limit`,
    { limit },
  );
  return found.map(outboxFromRow);
}

export async function listParkedOutbox(db: Db, limit: number): Promise<OutboxMessage[]> {
  const found = await rows<OutboxRow>(
    db,
    `SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL AND parked_at IS NOT NULL ORDER BY id LIMIT @limit`,
    { limit },
  );
  return found.map(outboxFromRow);
}

/**
 * Claims due messages for one relay. SKIP LOCKED: rows another relay is claiming in a
 * concurrent transaction are left to it; once it commits, its claim keeps them out of reach.
 */
export async function claimOutbox(db: Db, c: Parameters<Store['claimOutbox']>[0]): Promise<OutboxMessage[]> {
  const found = await rows<OutboxRow>(
    db,
    `UPDATE outbox SET claimed_until = @until WHERE id IN (
       SELECT id FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL
         AND next_attempt_at <= @nowMs AND claimed_until <= @nowMs
       ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}`,
    { nowMs: c.nowMs, until: c.nowMs + c.claimMs, limit: c.limit },
  );
  return found.map(outboxFromRow).sort((a, b) => a.id - b.id);
}

export async function markOutboxDelivered(db: Db, ids: readonly number[], nowMs: number): Promise<void> {
  await exec(
    db,
    'UPDATE outbox SET delivered_at = @nowMs WHERE id = ANY(@ids::bigint[]) AND delivered_at IS NULL',
    { nowMs, ids: [...ids] },
  );
}

export async function failOutboxDelivery(
  db: Db,
  c: Parameters<Store['failOutboxDelivery']>[0],
): Promise<void> {
  await exec(
    db,
    `UPDATE outbox SET attempts = attempts + 1, last_error = @error, claimed_until = 0,
       next_attempt_at = COALESCE(@retryAtMs::bigint, next_attempt_at),
       parked_at = CASE WHEN @retryAtMs::bigint IS NULL THEN @nowMs::bigint END
     WHERE id = @id AND delivered_at IS NULL AND parked_at IS NULL`,
    { id: c.id, error: c.error.slice(0, 2000), nowMs: c.nowMs, retryAtMs: c.retryAtMs },
  );
}
