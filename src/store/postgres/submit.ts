import { JournalEventType } from '../../domain/journal-events.ts';
import type { SubmitCommand, SubmitOutcome } from '../store-port.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import type { CommandKind } from './group-commit.ts';
import { row, rows, type Db } from './sql.ts';
import { submittedEventData } from '../submitted-event.ts';

/**
 * Every submit of a group-commit batch as one statement: a multi-row insert of QUEUED
 * executions (parallel arrays, `unnest`) that skips each one whose idempotency key exists,
 * and in a CTE the `submitted` event of each one it inserted. Rows go in the order the
 * submits were issued, so of two with one key in a batch the first is created.
 */
const SUBMITS = `WITH input AS (
    SELECT * FROM unnest(@executionIds::text[], @tenantIds::text[], @pipelineIds::text[],
      @contractVersions::text[], @releaseVersions::text[], @executionKeys::text[],
      @inputFingerprints::text[], @inputJsons::text[], @dataJsons::text[], @nowsMs::bigint[], @traceparents::text[],
      @scheduleIds::text[]) WITH ORDINALITY
      AS i (execution_id, tenant_id, pipeline_id, contract_version, release_version, execution_key,
        input_fingerprint, input_json, data_json, now_ms, traceparent, schedule_id, ord)),
  inserted AS (
    INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
      execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
      next_due_at, created_at, updated_at, traceparent, schedule_id)
    SELECT execution_id, tenant_id, pipeline_id, contract_version, release_version, execution_key,
      input_fingerprint, input_json, 'QUEUED', 1, 0, 0, 0, now_ms, now_ms, now_ms, traceparent, schedule_id
    FROM input ORDER BY ord
    ON CONFLICT (tenant_id, pipeline_id, execution_key) DO NOTHING
    RETURNING *),
  event AS (
    INSERT INTO journal (execution_id, seq, type, at, data_json)
    SELECT n.execution_id, n.version, @eventType::text, n.created_at, i.data_json
    FROM inserted AS n JOIN input AS i ON i.execution_id = n.execution_id)
  SELECT * FROM inserted`;

/**
 * Inserts a QUEUED execution unless its idempotency key exists. The unique key index decides
 * (ON CONFLICT DO NOTHING); a loser reads the winner and compares input fingerprints.
 */
export const submits: CommandKind<SubmitCommand, SubmitOutcome> = {
  runAll: async (db, cs) => {
    const inserted = await rows<ExecutionRow>(db, SUBMITS, {
      executionIds: cs.map((c) => c.executionId),
      tenantIds: cs.map((c) => c.tenantId),
      pipelineIds: cs.map((c) => c.pipelineId),
      contractVersions: cs.map((c) => c.contractVersion),
      releaseVersions: cs.map((c) => c.releaseVersion),
      executionKeys: cs.map((c) => c.executionKey),
      inputFingerprints: cs.map((c) => c.inputFingerprint),
      inputJsons: cs.map((c) => JSON.stringify(c.input)),
      dataJsons: cs.map((c) => JSON.stringify(submittedEventData(c))),
      nowsMs: cs.map((c) => c.nowMs),
      traceparents: cs.map((c) => c.traceparent ?? null),
      scheduleIds: cs.map((c) => c.scheduleId ?? null),
      eventType: JournalEventType.SUBMITTED,
    });
    const byId = new Map(inserted.map((r) => [r.execution_id, r]));
    const outcomes: SubmitOutcome[] = [];
    for (const c of cs) {
      const created = byId.get(c.executionId);
      outcomes.push(
        created ? { kind: 'created', execution: executionFromRow(created) } : await existing(db, c),
      );
    }
    return outcomes;
  },
};

/** The execution that holds the submit's idempotency key: a duplicate, or a conflicting input. */
async function existing(db: Db, c: SubmitCommand): Promise<SubmitOutcome> {
  const found = await row<ExecutionRow>(
    db,
    'SELECT * FROM executions WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId AND execution_key = @executionKey',
    { tenantId: c.tenantId, pipelineId: c.pipelineId, executionKey: c.executionKey },
  );
  // Another transaction may hold the key uncommitted: ON CONFLICT waits for it, so a committed row is here.
  if (!found) throw new Error(`execution key ${c.executionKey} vanished during submit`);
  const execution = executionFromRow(found);
  return { kind: execution.inputFingerprint === c.inputFingerprint ? 'duplicate' : 'conflict', execution };
}
