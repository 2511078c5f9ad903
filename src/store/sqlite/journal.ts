import type { JournalEventType } from '../../domain/journal-events.ts';
import type { Publication } from '../store-port.ts';
import type { Statements } from './statements.ts';

/** Appends one journal event; `seq` is the execution version the command produced. */
export function appendEvent(
  sql: Statements,
  executionId: string,
  seq: number,
  type: JournalEventType,
  atMs: number,
  data: Record<string, unknown>,
): void {
  sql
    .get('INSERT INTO journal (execution_id, seq, type, at, data_json) VALUES (?, ?, ?, ?, ?)')
    .run(executionId, seq, type, atMs, JSON.stringify(data));
}

/** Writes a publication to the outbox, inside the caller's transaction. */
export function enqueuePublication(
  sql: Statements,
  publication: Publication | undefined,
  atMs: number,
): void {
  if (!publication) return;
  sql
    .get('INSERT INTO outbox (topic, payload_json, created_at) VALUES (?, ?, ?)')
    .run(publication.topic, JSON.stringify(publication.payload), atMs);
}
