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
import type { Statements } from './statements.ts';

// The await admission budget (docs/await-admission.md) in the caller's transaction. SQLite has
// one writer, so reading the counter and changing it cannot interleave with another command.

const SCOPE = 'tenant_id = @tenantId AND pipeline_id = @pipelineId AND step_id = @stepId';

interface EntryRow {
  seq: number;
  interaction_id: string;
  execution_id: string;
  topic: string | null;
  payload_json: string | null;
  deadline_ms: number;
}

/**
 * Admits a parking interaction under its step's budget, or holds it back: true when admitted
 * (counted; the caller writes it WAITING and publishes its request), false when it waits (its
 * request and deadline are kept here until `admitWaiting` admits it). Those already waiting
 * go first, so a raised limit admits them, not the newcomer, and the order stays FIFO.
 */
export function admitOrHold(sql: Statements, held: HeldInteraction): boolean {
  const scope = scopeOf(held);
  sql
    .get(
      `INSERT INTO await_admission (tenant_id, pipeline_id, step_id, outstanding, admission_limit)
       VALUES (@tenantId, @pipelineId, @stepId, 0, @limit)
       ON CONFLICT (tenant_id, pipeline_id, step_id) DO UPDATE SET admission_limit = excluded.admission_limit`,
    )
    .run({ ...scope, limit: held.limit });
  admitWaiting(sql, scope, held.nowMs);
  const admitted = sql
    .get(
      `UPDATE await_admission SET outstanding = outstanding + 1
       WHERE ${SCOPE} AND outstanding < admission_limit RETURNING outstanding`,
    )
    .get(scope);
  sql
    .get(
      `INSERT INTO await_admission_entries (interaction_id, execution_id, tenant_id, pipeline_id, step_id,
         admitted, topic, payload_json, deadline_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      held.interactionId,
      held.executionId,
      held.tenantId,
      held.pipelineId,
      held.stepId,
      admitted ? 1 : 0,
      admitted ? null : (held.publication?.topic ?? null),
      admitted || !held.publication ? null : JSON.stringify(held.publication.payload),
      held.deadlineMs,
    );
  return admitted !== undefined;
}

/**
 * Ends the budget's hold on interactions that just ended (completed, timed out, cancelled):
 * an admitted one gives its place back and the oldest waiting one of its scope takes it; a
 * waiting one just leaves the queue. Interactions under no budget have no entry: a no-op.
 */
export function releaseAdmissions(sql: Statements, interactionIds: readonly string[], nowMs: number): void {
  for (const interactionId of interactionIds) {
    const entry = sql
      .get(
        `DELETE FROM await_admission_entries WHERE interaction_id = ?
         RETURNING admitted, tenant_id, pipeline_id, step_id`,
      )
      .get(interactionId) as
      { admitted: number; tenant_id: string; pipeline_id: string; step_id: string } | undefined;
    if (!entry || entry.admitted === 0) continue;
    const scope = { tenantId: entry.tenant_id, pipelineId: entry.pipeline_id, stepId: entry.step_id };
    sql.get(`UPDATE await_admission SET outstanding = MAX(outstanding - 1, 0) WHERE ${SCOPE}`).run(scope);
    admitWaiting(sql, scope, nowMs);
  }
}

/**
 * Admits the scope's waiting interactions, oldest first, while it is under its limit: each
 * becomes WAITING, its deadline starts now, its request goes to the outbox, and its execution
 * journals `interaction_admitted`.
 */
function admitWaiting(sql: Statements, scope: AdmissionScope, nowMs: number): void {
  for (;;) {
    const room = sql
      .get(`SELECT 1 FROM await_admission WHERE ${SCOPE} AND outstanding < admission_limit`)
      .get(scope);
    if (!room) return;
    const entry = sql
      .get(`SELECT * FROM await_admission_entries WHERE ${SCOPE} AND admitted = 0 ORDER BY seq LIMIT 1`)
      .get(scope) as EntryRow | undefined;
    if (!entry) return;
    admitEntry(sql, scope, entry, nowMs);
  }
}

function admitEntry(sql: Statements, scope: AdmissionScope, entry: EntryRow, nowMs: number): void {
  const deadlineAtMs = nowMs + entry.deadline_ms;
  const interaction = sql
    .get(
      `UPDATE await_interactions SET status = 'WAITING', deadline_at = ?, updated_at = ?
       WHERE interaction_id = ? AND status = 'ADMISSION_WAITING' RETURNING unit_id`,
    )
    .get(deadlineAtMs, nowMs, entry.interaction_id) as { unit_id: string } | undefined;
  const execution = interaction
    ? (sql
        .get(
          `UPDATE executions SET version = version + 1, updated_at = ?
           WHERE execution_id = ? AND status = 'WAITING_EXTERNAL' AND await_unit_id = ? RETURNING version`,
        )
        .get(nowMs, entry.execution_id, interaction.unit_id) as { version: number } | undefined)
    : undefined;
  if (!execution) {
    // The interaction ended without releasing its entry: nothing to admit, so drop the entry.
    sql.get('DELETE FROM await_admission_entries WHERE seq = ?').run(entry.seq);
    return;
  }
  appendEvent(sql, entry.execution_id, execution.version, JournalEventType.INTERACTION_ADMITTED, nowMs, {
    interactionId: entry.interaction_id,
    deadlineAtMs,
  });
  sql
    .get('UPDATE await_admission_entries SET admitted = 1, topic = NULL, payload_json = NULL WHERE seq = ?')
    .run(entry.seq);
  sql.get(`UPDATE await_admission SET outstanding = outstanding + 1 WHERE ${SCOPE}`).run(scope);
  if (entry.topic !== null && entry.payload_json !== null) {
    enqueuePublication(
      sql,
      { topic: entry.topic, payload: admittedPayload(entry.payload_json, deadlineAtMs) },
      nowMs,
    );
  }
}

export function listAwaitAdmission(sql: Statements, tenantId: string | undefined): AwaitAdmissionRecord[] {
  const rows = sql
    .get(
      `SELECT a.tenant_id, a.pipeline_id, a.step_id, a.admission_limit, a.outstanding,
         (SELECT COUNT(*) FROM await_admission_entries AS e WHERE e.tenant_id = a.tenant_id
            AND e.pipeline_id = a.pipeline_id AND e.step_id = a.step_id AND e.admitted = 0) AS waiting
       FROM await_admission AS a WHERE (@tenantId IS NULL OR a.tenant_id = @tenantId)
       ORDER BY a.tenant_id, a.pipeline_id, a.step_id`,
    )
    .all({ tenantId: tenantId ?? null }) as AdmissionRow[];
  return rows.map(admissionFromRow);
}

function scopeOf(h: AdmissionScope): AdmissionScope {
  return { tenantId: h.tenantId, pipelineId: h.pipelineId, stepId: h.stepId };
}
