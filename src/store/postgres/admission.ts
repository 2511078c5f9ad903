import { JournalEventType } from '../../domain/journal-events.ts';
import {
  admissionFromRow,
  admittedPayload,
  type AdmissionRow,
  type AdmissionScope,
  type HeldInteraction,
} from '../admission.ts';
import type { AwaitAdmissionRecord } from '../store-port.ts';
import { appendEvent, enqueuePublication } from './journal.ts';
import { exec, row, rows, type Db } from './sql.ts';

// The await admission budget (docs/await-admission.md) in the caller's transaction. Every
// command that changes a scope's counter holds its `await_admission` row lock until COMMIT, so
// nodes admitting and releasing at once are serialised per scope and never exceed the limit,
// and a park held back while a release runs is seen by that release (or admitted by itself).

const SCOPE = 'tenant_id = @tenantId AND pipeline_id = @pipelineId AND step_id = @stepId';

interface EntryRow {
  seq: string;
  interaction_id: string;
  execution_id: string;
  topic: string | null;
  payload_json: string | null;
  deadline_ms: string;
}

/**
 * Admits a parking interaction under its step's budget, or holds it back: true when admitted
 * (counted; the caller writes it WAITING and publishes its request), false when it waits (its
 * request and deadline are kept here until a release admits it). Those already waiting go
 * first, so a raised limit admits them, not the newcomer, and the order stays FIFO.
 */
export async function admitOrHold(db: Db, held: HeldInteraction): Promise<boolean> {
  const scope = scopeOf(held);
  // The upsert takes the scope's row lock, held to COMMIT.
  await exec(
    db,
    `INSERT INTO await_admission (tenant_id, pipeline_id, step_id, outstanding, admission_limit)
     VALUES (@tenantId, @pipelineId, @stepId, 0, @limit)
     ON CONFLICT (tenant_id, pipeline_id, step_id) DO UPDATE SET admission_limit = excluded.admission_limit`,
    { ...scope, limit: held.limit },
  );
  await admitWaiting(db, scope, held.nowMs);
  const admitted = await row(
    db,
    `UPDATE await_admission SET outstanding = outstanding + 1
     WHERE ${SCOPE} AND outstanding < admission_limit RETURNING outstanding`,
    scope,
  );
  await exec(
    db,
    `INSERT INTO await_admission_entries (interaction_id, execution_id, tenant_id, pipeline_id, step_id,
       admitted, topic, payload_json, deadline_ms)
     VALUES (@interactionId, @executionId, @tenantId, @pipelineId, @stepId, @admitted, @topic, @payload, @deadlineMs)`,
    {
      ...scope,
      interactionId: held.interactionId,
      executionId: held.executionId,
      admitted: admitted !== undefined,
      topic: admitted ? null : (held.publication?.topic ?? null),
      payload: admitted || !held.publication ? null : JSON.stringify(held.publication.payload),
      deadlineMs: held.deadlineMs,
    },
  );
  return admitted !== undefined;
}

/**
 * Ends the budget's hold on interactions that just ended (completed, timed out, cancelled):
 * an admitted one gives its place back and the oldest waiting one of its scope takes it; a
 * waiting one just leaves the queue. Interactions under no budget have no entry: one DELETE
 * that finds nothing.
 */
export async function releaseAdmissions(
  db: Db,
  interactionIds: readonly string[],
  nowMs: number,
): Promise<void> {
  if (interactionIds.length === 0) return;
  const ended = await rows<{ admitted: boolean; tenant_id: string; pipeline_id: string; step_id: string }>(
    db,
    `DELETE FROM await_admission_entries WHERE interaction_id = ANY(@ids::text[])
     RETURNING admitted, tenant_id, pipeline_id, step_id`,
    { ids: interactionIds },
  );
  for (const entry of ended) {
    if (!entry.admitted) continue;
    const scope = { tenantId: entry.tenant_id, pipelineId: entry.pipeline_id, stepId: entry.step_id };
    await exec(
      db,
      `UPDATE await_admission SET outstanding = GREATEST(outstanding - 1, 0) WHERE ${SCOPE}`,
      scope,
    );
    await admitWaiting(db, scope, nowMs);
  }
}

/**
 * Admits the scope's waiting interactions, oldest first, while it is under its limit: each
 * becomes WAITING, its deadline starts now, its request goes to the outbox, and its execution
 * journals `interaction_admitted`. An entry another transaction holds (`lockEntriesOf`: a
 * cancel of its execution, under way) is skipped, not waited for: the cancel removes it. The
 * execution's row is then waited for, never skipped, so no waiting entry is passed over for
 * good; a cancel takes the entry's lock before the execution's, so the two never deadlock.
 */
async function admitWaiting(db: Db, scope: AdmissionScope, nowMs: number): Promise<void> {
  for (;;) {
    const room = await row(
      db,
      `SELECT 1 AS room FROM await_admission WHERE ${SCOPE} AND outstanding < admission_limit FOR UPDATE`,
      scope,
    );
    if (!room) return;
    const entry = await row<EntryRow>(
      db,
      `SELECT * FROM await_admission_entries WHERE ${SCOPE} AND NOT admitted
       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
      scope,
    );
    if (!entry) return;
    await admitEntry(db, scope, entry, nowMs);
  }
}

async function admitEntry(db: Db, scope: AdmissionScope, entry: EntryRow, nowMs: number): Promise<void> {
  const deadlineAtMs = nowMs + Number(entry.deadline_ms);
  const interaction = await row<{ unit_id: string }>(
    db,
    `UPDATE await_interactions SET status = 'WAITING', deadline_at = @deadlineAtMs, updated_at = @nowMs
     WHERE interaction_id = @interactionId AND status = 'ADMISSION_WAITING' RETURNING unit_id`,
    { deadlineAtMs, nowMs, interactionId: entry.interaction_id },
  );
  const execution = interaction
    ? await row<{ version: number }>(
        db,
        `UPDATE executions SET version = version + 1, updated_at = @nowMs
         WHERE execution_id = @executionId AND status = 'WAITING_EXTERNAL' AND await_unit_id = @unitId
         RETURNING version`,
        { nowMs, executionId: entry.execution_id, unitId: interaction.unit_id },
      )
    : undefined;
  if (!execution) {
    // The interaction ended without releasing its entry: nothing to admit, so drop the entry.
    await exec(db, 'DELETE FROM await_admission_entries WHERE seq = @seq', { seq: entry.seq });
    return;
  }
  await appendEvent(db, entry.execution_id, execution.version, JournalEventType.INTERACTION_ADMITTED, nowMs, {
    interactionId: entry.interaction_id,
    deadlineAtMs,
  });
  await exec(
    db,
    'UPDATE await_admission_entries SET admitted = true, topic = NULL, payload_json = NULL WHERE seq = @seq',
    { seq: entry.seq },
  );
  await exec(db, `UPDATE await_admission SET outstanding = outstanding + 1 WHERE ${SCOPE}`, scope);
  if (entry.topic !== null && entry.payload_json !== null) {
    await enqueuePublication(
      db,
      { topic: entry.topic, payload: admittedPayload(entry.payload_json, deadlineAtMs) },
      nowMs,
    );
  }
}

/**
 * Locks the admission entries of an execution before a command (cancel) locks the execution
 * itself: the order `admitWaiting` takes them in, so the two wait for each other, never deadlock.
 */
export async function lockEntriesOf(db: Db, executionId: string): Promise<void> {
  await exec(db, 'SELECT seq FROM await_admission_entries WHERE execution_id = @executionId FOR UPDATE', {
    executionId,
  });
}

export async function listAwaitAdmission(
  db: Db,
  tenantId: string | undefined,
): Promise<AwaitAdmissionRecord[]> {
  const found = await rows<AdmissionRow>(
    db,
    `SELECT a.tenant_id, a.pipeline_id, a.step_id, a.admission_limit, a.outstanding,
       (SELECT COUNT(*) FROM await_admission_entries AS e WHERE e.tenant_id = a.tenant_id
          AND e.pipeline_id = a.pipeline_id AND e.step_id = a.step_id AND NOT e.admitted) AS waiting
     FROM await_admission AS a WHERE (@tenantId::text IS NULL OR a.tenant_id = @tenantId::text)
     ORDER BY a.tenant_id, a.pipeline_id, a.step_id`,
    { tenantId: tenantId ?? null },
  );
  return found.map(admissionFromRow);
}

function scopeOf(h: AdmissionScope): AdmissionScope {
  return { tenantId: h.tenantId, pipelineId: h.pipelineId, stepId: h.stepId };
}
