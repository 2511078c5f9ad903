import { JournalEventType } from '../../domain/journal-events.ts';
import type { CompletionOutcome, Store } from '../store-port.ts';
import { releaseAdmissions } from './admission.ts';
import { appendEvent } from './journal.ts';
import { interactionFromRow, toJson, type InteractionRow } from '../rows.ts';
import { writeStepOutput } from './segment-commands.ts';
import type { Statements } from './statements.ts';

/**
 * Completes an open interaction and re-queues its execution at `awaitStepIndex + 1` with the
 * response as that step's checkpointed output, in one transaction. Both updates are guarded;
 * if the execution is no longer parked on this unit the whole command rolls back.
 */
export function completeInteraction(
  sql: Statements,
  c: Parameters<Store['completeInteraction']>[0],
): CompletionOutcome {
  const current = sql
    .get('SELECT * FROM await_interactions WHERE tenant_id = ? AND interaction_id = ?')
    .get(c.tenantId, c.interactionId) as InteractionRow | undefined;
  if (!current) return { kind: 'not_found' };
  const interaction = interactionFromRow(current);
  if (interaction.status === 'COMPLETED') {
    return {
      kind: interaction.responseFingerprint === c.responseFingerprint ? 'duplicate' : 'conflict',
      interaction,
    };
  }
  if (interaction.status === 'ADMISSION_WAITING') return { kind: 'not_admitted', interaction };
  if (interaction.status !== 'WAITING') return { kind: 'closed', interaction };
  if (interaction.deadlineAtMs <= c.nowMs) return { kind: 'deadline_passed', interaction };

  const updated = sql
    .get(
      `UPDATE await_interactions SET status = 'COMPLETED', response_json = ?, response_fingerprint = ?,
         completion_key = ?, actor = ?, updated_at = ?
       WHERE interaction_id = ? AND status = 'WAITING' RETURNING *`,
    )
    .get(toJson(c.response), c.responseFingerprint, c.completionKey, c.actor, c.nowMs, c.interactionId) as
    InteractionRow | undefined;
  if (!updated) return { kind: 'closed', interaction };
  const execution = sql
    .get(
      `UPDATE executions SET status = 'QUEUED', step_index = ? + 1, attempt = 0, next_due_at = ?,
         version = version + 1, updated_at = ?
       WHERE execution_id = ? AND status = 'WAITING_EXTERNAL' AND await_unit_id = ? RETURNING version`,
    )
    .get(interaction.stepIndex, c.nowMs, c.nowMs, interaction.executionId, interaction.unitId) as
    { version: number } | undefined;
  if (!execution) {
    throw new Error(`execution ${interaction.executionId} is not parked on await unit ${interaction.unitId}`);
  }
  writeStepOutput(sql, interaction.executionId, interaction.stepIndex, c.response);
  appendEvent(
    sql,
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
  releaseAdmissions(sql, [c.interactionId], c.nowMs);
  return { kind: 'completed', interaction: interactionFromRow(updated) };
}
