import type { OutboxMessage } from './records.ts';
import { parseJson } from './rows.ts';

/** An outbox row as both dialects return it. */
export interface OutboxRow {
  id: number;
  topic: string;
  payload_json: string;
  created_at: number;
  attempts: number;
  parked_at: number | null;
  last_error: string | null;
}

export const outboxFromRow = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  topic: r.topic,
  payload: parseJson(r.payload_json) as Record<string, unknown>,
  createdAtMs: r.created_at,
  attempts: r.attempts,
  parkedAtMs: r.parked_at,
  lastError: r.last_error,
});
