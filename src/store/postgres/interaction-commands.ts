import { JournalEventType } from '../../domain/journal-events.ts';
import type { CompletionOutcome, Store } from '../store-port.ts';
import { appendEvent } from './journal.ts';
import { interactionFromRow, toJson, type InteractionRow } from '../rows.ts';
import { writeStepOutput } from './segment-commands.ts';
import { row, type Db } from './sql.ts';

/**
 * Completes an open interaction and re-queues its execution at `awaitStepIndex + 1` with the
 * response as that step's checkpointed output, in one transaction. Both updates are guarded;
 * if the execution is no longer parked on this unit the whole command rolls back.
 */
export async function completeInteraction(
  db: Db,
  c: Parameters<Store['completeInteraction']>[0],
): Promise<CompletionOutcome> {
  const current = await row<InteractionRow>(
    db,
    'SELECT * FROM await_interactions WHERE tenant_id = @tenantId AND interaction_id = @interactionId',
    { tenantId: c.tenantId, interactionId: c.interactionId },
  );
  if (!current) return { kind: 'not_found' };
  const interaction = interactionFromRow(current);
  if (interaction.status === 'COMPLETED') {
    return {
      kind: interaction.responseFingerprint === c.responseFingerprint ? 'duplicate' : 'conflict',
      interaction,
    };
  }
  if (interaction.status !== 'WAITING') return { kind: 'closed', interaction };
  if (interaction.deadlineAtMs <= c.nowMs) return { kind: 'deadline_passed', interaction };

  const updated = await row<InteractionRow>(
    db,
    `UPDATE await_interactions SET status = 'COMPLETED', response_json = @responseJson,
       response_fingerprint = @responseFingerprint, completion_key = @completionKey, actor = @actor,
       updated_at = @nowMs
     WHERE interaction_id = @interactionId AND status = 'WAITING' RETURNING *`,
    {
      responseJson: toJson(c.response),
      responseFingerprint: c.responseFingerprint,
      completionKey: c.completionKey,
      actor: c.actor,
      nowMs: c.nowMs,
      interactionId: c.interactionId,
    },
  );
  if (!updated) {
    // A concurrent completion won the row lock: report what it left, as the SQLite store would.
    const winner = await row<InteractionRow>(
      db,
      'SELECT * FROM await_interactions WHERE interaction_id = @interactionId',
      { interactionId: c.interactionId },
    );
    const now = winner ? interactionFromRow(winner) : interaction;
    if (now.status === 'COMPLETED') {
      return {
        kind: now.responseFingerprint === c.responseFingerprint ? 'duplicate' : 'conflict',
        interaction: now,
      };
    }
    return { kind: 'closed', interaction: now };
  }
  const execution = await row<{ version: number }>(
    db,
    `UPDATE executions SET status = 'QUEUED', step_index = @stepIndex + 1, attempt = 0, next_due_at = @nowMs,
       version = version + 1, updated_at = @nowMs
     WHERE execution_id = @executionId AND status = 'WAITING_EXTERNAL' AND await_unit_id = @unitId
     RETURNING version`,
    {
      stepIndex: interaction.stepIndex,
      nowMs: c.nowMs,
      executionId: interaction.executionId,
      unitId: interaction.unitId,
    },
  );
  if (!execution) {
    throw new Error(`execution ${interaction.executionId} is not parked on await unit ${interaction.unitId}`);
  }
  await writeStepOutput(db, interaction.executionId, interaction.stepIndex, c.response);
  await appendEvent(
    db,
    interaction.executionId,
    execution.version,
    JournalEventType.INTERACTION_COMPLETED,
    c.nowMs,
    {
      interactionId: c.interactionId,
      stepIndex: interaction.stepIndex,
      response: c.response ?? null,
      responseFingerprint: c.responseFingerprint,
      completionKey: c.completionKey,
      actor: c.actor,
    },
  );
  return { kind: 'completed', interaction: interactionFromRow(updated) };
}
