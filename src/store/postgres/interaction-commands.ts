import { JournalEventType } from '../../domain/journal-events.ts';
import type { CompletionOutcome, Store } from '../store-port.ts';
import { interactionFromRow, toJson, type InteractionRow } from '../rows.ts';
import { releaseAdmissions } from './admission.ts';
import type { CommandKind } from './group-commit.ts';
import { row, rows, type Db } from './sql.ts';

export type CompleteCommand = Parameters<Store['completeInteraction']>[0];

/**
 * Every completion of a group-commit batch as one statement (parallel arrays, `unnest`, one
 * row each numbered by `ord`): each row's guarded UPDATE completes its interaction (open,
 * deadline not passed), and CTEs of the same statement re-queue the execution parked on it
 * (guarded: still parked on that unit) at the next step, write the response as the await
 * step's checkpoint, and journal `interaction_completed` (its data built from the interaction
 * row). Of several completions of one interaction, the first in the batch is the one tried,
 * as if they had run one after another; the others then find it completed. `moved_version`
 * is NULL when an interaction was completed but its execution was not parked on it.
 */
const COMPLETIONS = `WITH input AS (
    SELECT * FROM unnest(@tenantIds::text[], @interactionIds::text[], @responseJsons::text[],
      @outputJsons::text[], @responseFingerprints::text[], @completionKeys::text[], @actors::text[],
      @nowsMs::bigint[]) WITH ORDINALITY
      AS i (tenant_id, interaction_id, response_json, output_json, response_fingerprint, completion_key,
        actor, now_ms, ord)),
  done AS (
    UPDATE await_interactions AS a SET status = 'COMPLETED', response_json = i.response_json,
      response_fingerprint = i.response_fingerprint, completion_key = i.completion_key, actor = i.actor,
      updated_at = i.now_ms
    FROM (SELECT DISTINCT ON (tenant_id, interaction_id) * FROM input ORDER BY tenant_id, interaction_id, ord) AS i
    WHERE a.tenant_id = i.tenant_id AND a.interaction_id = i.interaction_id AND a.status = 'WAITING'
      AND a.deadline_at > i.now_ms
    RETURNING a.*, i.output_json, i.now_ms, i.ord),
  moved AS (
    UPDATE executions AS x SET status = 'QUEUED', step_index = d.step_index + 1, attempt = 0,
      next_due_at = d.now_ms, version = x.version + 1, updated_at = d.now_ms
    FROM done AS d
    WHERE x.execution_id = d.execution_id AND x.status = 'WAITING_EXTERNAL' AND x.await_unit_id = d.unit_id
    RETURNING x.execution_id, x.version, d.step_index, d.output_json, d.now_ms, d.interaction_id,
      d.response_fingerprint, d.completion_key, d.actor),
  output AS (
    INSERT INTO step_outputs (execution_id, step_index, output_json)
    SELECT execution_id, step_index, output_json FROM moved
    ON CONFLICT (execution_id, step_index) DO UPDATE SET output_json = excluded.output_json),
  event AS (
    INSERT INTO journal (execution_id, seq, type, at, data_json)
    SELECT execution_id, version, @eventType::text, now_ms,
      json_build_object('interactionId', interaction_id, 'stepIndex', step_index,
        'response', output_json::json, 'responseFingerprint', response_fingerprint,
        'completionKey', completion_key, 'actor', actor)::text
    FROM moved)
  SELECT done.*, moved.version AS moved_version
  FROM done LEFT JOIN moved ON moved.execution_id = done.execution_id`;

type CompletedRow = InteractionRow & {
  ord: number;
  output_json: string;
  now_ms: number;
  moved_version: number | null;
};

/**
 * Completes an open interaction and re-queues its execution at `awaitStepIndex + 1` with the
 * response as that step's checkpointed output, in one transaction. Both updates are guarded;
 * if the execution is no longer parked on this unit the command throws, so its writes roll
 * back. Completions are tried first, all in one round trip; only a completion whose guard did
 * not match reads its interaction, to say why (unknown, already completed, closed, too late).
 */
export const completions: CommandKind<CompleteCommand, CompletionOutcome> = {
  runAll: async (db, cs) => {
    const completed = await rows<CompletedRow>(db, COMPLETIONS, {
      tenantIds: cs.map((c) => c.tenantId),
      interactionIds: cs.map((c) => c.interactionId),
      responseJsons: cs.map((c) => toJson(c.response)),
      outputJsons: cs.map((c) => JSON.stringify(c.response ?? null)),
      responseFingerprints: cs.map((c) => c.responseFingerprint),
      completionKeys: cs.map((c) => c.completionKey),
      actors: cs.map((c) => c.actor),
      nowsMs: cs.map((c) => c.nowMs),
      eventType: JournalEventType.INTERACTION_COMPLETED,
    });
    const byOrd = new Map(completed.map((r) => [r.ord, r]));
    const outcomes: CompletionOutcome[] = [];
    for (const [i, c] of cs.entries()) {
      const done = byOrd.get(i + 1);
      if (!done) {
        outcomes.push(await whyNotCompleted(db, c));
        continue;
      }
      const { ord: _ord, output_json: _output, now_ms: _now, moved_version: movedVersion, ...updated } = done;
      if (movedVersion === null)
        throw new Error(`execution ${updated.execution_id} is not parked on await unit ${updated.unit_id}`);
      outcomes.push({ kind: 'completed', interaction: interactionFromRow(updated) });
    }
    // Completed interactions under an admission budget give their place to the next waiting one.
    await releaseAdmissions(
      db,
      outcomes.flatMap((o) => (o.kind === 'completed' ? [o.interaction.interactionId] : [])),
      Math.max(...cs.map((c) => c.nowMs)),
    );
    return outcomes;
  },
};

/**
 * The outcome of a completion whose guard did not match: the interaction is unknown, already
 * completed (possibly by a concurrent completion that held the row lock first, or by another
 * command of the same batch), closed, or past its deadline.
 */
async function whyNotCompleted(db: Db, c: CompleteCommand): Promise<CompletionOutcome> {
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
  if (interaction.status === 'ADMISSION_WAITING') return { kind: 'not_admitted', interaction };
  if (interaction.status !== 'WAITING') return { kind: 'closed', interaction };
  if (interaction.deadlineAtMs <= c.nowMs) return { kind: 'deadline_passed', interaction };
  // Open and in time, yet the guard missed it: it was not committed yet when the guard ran.
  return { kind: 'not_found' };
}
