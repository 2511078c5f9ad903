import { JournalEventType } from '../../domain/journal-events.ts';
import type { SubmitCommand, SubmitOutcome } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { executionFromRow, type ExecutionRow } from '../rows.ts';
import { row, type Db } from './sql.ts';

/**
 * Inserts a QUEUED execution unless its idempotency key exists. The unique key index decides
 * (ON CONFLICT DO NOTHING); a loser reads the winner and compares input fingerprints.
 */
export async function submitExecution(db: Db, c: SubmitCommand): Promise<SubmitOutcome> {
  const inserted = await row<ExecutionRow>(
    db,
    `INSERT INTO executions (execution_id, tenant_id, pipeline_id, contract_version, release_version,
       execution_key, input_fingerprint, input_json, status, version, step_index, attempt, lease_epoch,
       next_due_at, created_at, updated_at)
     VALUES (@executionId, @tenantId, @pipelineId, @contractVersion, @releaseVersion, @executionKey,
       @inputFingerprint, @inputJson, 'QUEUED', 1, 0, 0, 0, @nowMs, @nowMs, @nowMs)
     ON CONFLICT (tenant_id, pipeline_id, execution_key) DO NOTHING
     RETURNING *`,
    {
      executionId: c.executionId,
      tenantId: c.tenantId,
      pipelineId: c.pipelineId,
      contractVersion: c.contractVersion,
      releaseVersion: c.releaseVersion,
      executionKey: c.executionKey,
      inputFingerprint: c.inputFingerprint,
      inputJson: JSON.stringify(c.input),
      nowMs: c.nowMs,
    },
  );
  if (inserted) {
    await appendEvent(db, c.executionId, 1, JournalEventType.SUBMITTED, c.nowMs, {
      tenantId: c.tenantId,
      pipelineId: c.pipelineId,
      contractVersion: c.contractVersion,
      releaseVersion: c.releaseVersion,
      executionKey: c.executionKey,
      inputFingerprint: c.inputFingerprint,
      input: c.input,
    });
    return { kind: 'created', execution: executionFromRow(inserted) };
  }
  const existing = await row<ExecutionRow>(
    db,
    'SELECT * FROM executions WHERE tenant_id = @tenantId AND pipeline_id = @pipelineId AND execution_key = @executionKey',
    { tenantId: c.tenantId, pipelineId: c.pipelineId, executionKey: c.executionKey },
  );
  // Another transaction may hold the key uncommitted: ON CONFLICT waits for it, so a committed row is here.
  if (!existing) throw new Error(`execution key ${c.executionKey} vanished during submit`);
  const execution = executionFromRow(existing);
  return { kind: execution.inputFingerprint === c.inputFingerprint ? 'duplicate' : 'conflict', execution };
}
