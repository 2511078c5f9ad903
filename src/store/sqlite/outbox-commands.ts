import type { OutboxMessage } from '../records.ts';
import type { Store } from '../store-port.ts';
import { outboxFromRow, type OutboxRow } from '../outbox-row.ts';
import type { Statements } from './statements.ts';

const COLUMNS = 'id, topic, payload_json, created_at, attempts, parked_at, last_error';

export function readOutbox(sql: Statements, limit: number): OutboxMessage[] {
  const found = sql
    .get(`SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY id LIMIT ?`)
    .all(limit) as OutboxRow[];
  return found.map(outboxFromRow);
}

export function listParkedOutbox(sql: Statements, limit: number): OutboxMessage[] {
  const found = sql
    .get(
      `SELECT ${COLUMNS} FROM outbox WHERE delivered_at IS NULL AND parked_at IS NOT NULL ORDER BY id LIMIT ?`,
    )
    .all(limit) as OutboxRow[];
  return found.map(outboxFromRow);
}

/** Claims due messages for the relay (one process owns the file; the claim spans passes). */
export function claimOutbox(sql: Statements, c: Parameters<Store['claimOutbox']>[0]): OutboxMessage[] {
  const found = sql
    .get(
      `UPDATE outbox SET claimed_until = @until WHERE id IN (
         SELECT id FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL
           AND next_attempt_at <= @nowMs AND claimed_until <= @nowMs
         ORDER BY id LIMIT @limit)
       RETURNING ${COLUMNS}`,
    )
    .all({ nowMs: c.nowMs, until: c.nowMs + c.claimMs, limit: c.limit }) as OutboxRow[];
  return found.map(outboxFromRow).sort((a, b) => a.id - b.id);
}

export function markOutboxDelivered(sql: Statements, ids: readonly number[], nowMs: number): void {
  sql
    .get(
      'UPDATE outbox SET delivered_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL',
    )
    .run(nowMs, JSON.stringify(ids));
}

export function failOutboxDelivery(sql: Statements, c: Parameters<Store['failOutboxDelivery']>[0]): void {
  sql
    .get(
      `UPDATE outbox SET attempts = attempts + 1, last_error = @error, claimed_until = 0,
         next_attempt_at = COALESCE(@retryAtMs, next_attempt_at),
         parked_at = CASE WHEN @retryAtMs IS NULL THEN @nowMs END
       WHERE id = @id AND delivered_at IS NULL AND parked_at IS NULL`,
    )
    .run({ id: c.id, error: c.error.slice(0, 2000), nowMs: c.nowMs, retryAtMs: c.retryAtMs ?? null });
}
