import { JournalEventType } from '../../domain/journal-events.ts';
import type { SubmitCommand, SubmitOutcome } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { submittedEventData } from '../submitted-event.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import type { Statements } from './statements.ts';

/**
 * Inserts a QUEUED execution unless its idempotency key exists. The unique key index decides
 * (ON CONFLICT DO NOTHING); a loser reads the winner and compares input fingerprints.
 */
export function submitExecution(sql: Statements, c: SubmitCommand): SubmitOutcome {
  const inserted = sql
    .get(
      `INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
         execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
         next_due_at, created_at, updated_at, traceparent, schedule_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'QUEUED', 1, 0, 0, 0, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, pipeline_id, execution_key) DO NOTHING
       RETURNING *`,
    )
    .get(
      c.executionId,
      c.tenantId,
      c.pipelineId,
      c.contractVersion,
      c.releaseVersion,
      c.executionKey,
      c.inputFingerprint,
      JSON.stringify(c.input),
      c.nowMs,
      c.nowMs,
      c.nowMs,
      c.traceparent ?? null,
      c.scheduleId ?? null,
    ) as ExecutionRow | undefined;
  if (inserted) {
    appendEvent(sql, c.executionId, 1, JournalEventType.SUBMITTED, c.nowMs, submittedEventData(c));
    return { kind: 'created', execution: executionFromRow(inserted) };
  }
  const existing = sql
    .get('SELECT * FROM executions WHERE tenant_id = ? AND pipeline_id = ? AND execution_key = ?')
    .get(c.tenantId, c.pipelineId, c.executionKey) as ExecutionRow;
  const execution = executionFromRow(existing);
  return { kind: execution.inputFingerprint === c.inputFingerprint ? 'duplicate' : 'conflict', execution };
}
