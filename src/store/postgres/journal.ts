import type { JournalEventType } from '../../domain/journal-events.ts';
import type { Publication } from '../store-port.ts';
import { exec, type Db } from './sql.ts';

/**
 * A CTE named `event` that journals the event of a guarded write in the same statement as
 * the write, so a command costs one round trip: one row for each row the CTE `source`
 * returned (its `execution_id`, and its new `version` as `seq`), of type `@eventType` at
 * `@nowMs` with the JSON text `@data`. When the guard matched no row, nothing is journaled.
 */
export const journalOf = (source: string): string => `event AS (
  INSERT INTO journal (execution_id, seq, type, at, data_json)
  SELECT execution_id, version, @eventType::text, @nowMs::bigint, @data::text FROM ${source})`;

/** `journalOf` the CTE `moved`: the row a guarded UPDATE changed. */
export const JOURNAL_MOVED = journalOf('moved');

/** Appends one journal event; `seq` is the execution version the command produced. */
export async function appendEvent(
  db: Db,
  executionId: string,
  seq: number,
  type: JournalEventType,
  atMs: number,
  data: Record<string, unknown>,
): Promise<void> {
  await exec(
    db,
    'INSERT INTO journal (execution_id, seq, type, at, data_json) VALUES (@executionId, @seq, @type, @atMs, @data)',
    { executionId, seq, type, atMs, data: JSON.stringify(data) },
  );
}

/** Writes a publication to the outbox, inside the caller's transaction. */
export async function enqueuePublication(
  db: Db,
  publication: Publication | undefined,
  atMs: number,
): Promise<void> {
  if (!publication) return;
  await exec(db, 'INSERT INTO outbox (topic, payload_json, created_at) VALUES (@topic, @payload, @atMs)', {
    topic: publication.topic,
    payload: JSON.stringify(publication.payload),
    atMs,
  });
}
