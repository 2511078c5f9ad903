import { JournalEventType } from '../../domain/journal-events.ts';
import type { SuspendCommand } from '../store-port.ts';
import { FIRST_OF_EACH_FENCE, matchedByOrd } from './batch-sql.ts';
import type { PoolClient } from 'pg';
import { admissionMarker } from '../admission.ts';
import { admitOrHold } from './admission.ts';
import type { CommandKind } from './group-commit.ts';
import { appendEvent, enqueuePublication } from './journal.ts';
import { exec, row, rows } from './sql.ts';

/**
 * Every suspend of a group-commit batch as one statement (parallel arrays, `unnest`, one row
 * each numbered by `ord`): each row's guarded UPDATE parks its execution (fenced: RUNNING
 * under the caller's lease epoch, at the await step), and CTEs of the same statement open its
 * interaction, journal `suspended` and write the await request to the outbox (when it has a
 * publication), for the rows whose guard matched. Returns their `ord`.
 */
const SUSPENDS = `WITH input AS (
    SELECT * FROM unnest(@executionIds::text[], @leaseEpochs::integer[], @stepIndexes::integer[],
      @interactionIds::text[], @unitIds::text[], @correlationIds::text[], @stepIds::text[],
      @requestJsons::text[], @assignees::text[], @groups::text[], @transportTypes::text[],
      @deadlinesAtMs::bigint[], @dataJsons::text[], @nowsMs::bigint[], @topics::text[],
      @publicationJsons::text[]) WITH ORDINALITY
      AS i (execution_id, lease_epoch, step_index, interaction_id, unit_id, correlation_id, step_id,
        request_json, assignee, group_name, transport_type, deadline_at, data_json, now_ms, topic,
        publication_json, ord)),
  moved AS (
    UPDATE executions AS x SET status = 'WAITING_EXTERNAL', await_unit_id = i.unit_id, lease_owner = NULL,
      lease_expires_at = NULL, next_due_at = NULL, version = x.version + 1, updated_at = i.now_ms
    FROM (${FIRST_OF_EACH_FENCE}) AS i
    WHERE x.execution_id = i.execution_id AND x.status = 'RUNNING' AND x.lease_epoch = i.lease_epoch
      AND x.step_index = i.step_index
    RETURNING x.execution_id, x.version, x.tenant_id, i.step_index, i.interaction_id, i.unit_id,
      i.correlation_id, i.step_id, i.request_json, i.assignee, i.group_name, i.transport_type,
      i.deadline_at, i.data_json, i.now_ms, i.topic, i.publication_json, i.ord),
  interaction AS (
    INSERT INTO await_interactions (interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id,
      step_index, status, request_json, assignee, group_name, transport_type, deadline_at, created_at, updated_at)
    SELECT interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id, step_index, 'WAITING',
      request_json, assignee, group_name, transport_type, deadline_at, now_ms, now_ms FROM moved),
  event AS (
    INSERT INTO journal (execution_id, seq, type, at, data_json)
    SELECT execution_id, version, @eventType::text, now_ms, data_json FROM moved),
  publication AS (
    INSERT INTO outbox (topic, payload_json, created_at)
    SELECT topic, publication_json, now_ms FROM moved WHERE topic IS NOT NULL ORDER BY ord)
  SELECT ord FROM moved`;

/**
 * Parks an execution on a new await interaction; true when the fence still held. Parks under
 * no admission budget run together as one statement; those under one each run alone
 * (`suspendUnderBudget`), since the budget decides what their statement writes.
 */
export const suspends: CommandKind<SuspendCommand, boolean> = {
  runAll: async (db, commands) => {
    const results: boolean[] = new Array<boolean>(commands.length).fill(false);
    const free = [...commands.keys()].filter((i) => commands[i]?.interaction.admissionLimit === undefined);
    const freeResults = await suspendAll(
      db,
      free.map((i) => commands[i] as SuspendCommand),
    );
    free.forEach((i, j) => (results[i] = freeResults[j] ?? false));
    for (const [i, c] of commands.entries()) {
      if (c.interaction.admissionLimit !== undefined) results[i] = await suspendUnderBudget(db, c);
    }
    return results;
  },
};

async function suspendAll(db: PoolClient, cs: readonly SuspendCommand[]): Promise<boolean[]> {
  if (cs.length === 0) return [];
  const moved = await rows<{ ord: number }>(db, SUSPENDS, {
    executionIds: cs.map((c) => c.executionId),
    leaseEpochs: cs.map((c) => c.leaseEpoch),
    stepIndexes: cs.map((c) => c.stepIndex),
    interactionIds: cs.map((c) => c.interaction.interactionId),
    unitIds: cs.map((c) => c.interaction.unitId),
    correlationIds: cs.map((c) => c.interaction.correlationId),
    stepIds: cs.map((c) => c.interaction.stepId),
    requestJsons: cs.map((c) => JSON.stringify(c.interaction.requestPayload ?? null)),
    assignees: cs.map((c) => c.interaction.assignee),
    groups: cs.map((c) => c.interaction.group),
    transportTypes: cs.map((c) => c.interaction.transportType),
    deadlinesAtMs: cs.map((c) => c.interaction.deadlineAtMs),
    dataJsons: cs.map((c) => JSON.stringify(suspendedData(c))),
    nowsMs: cs.map((c) => c.nowMs),
    topics: cs.map((c) => c.publication?.topic ?? null),
    publicationJsons: cs.map((c) => (c.publication ? JSON.stringify(c.publication.payload) : null)),
    eventType: JournalEventType.SUSPENDED,
  });
  return matchedByOrd(cs.length, moved);
}

function suspendedData(c: SuspendCommand, admitted?: boolean): Record<string, unknown> {
  return {
    stepIndex: c.stepIndex,
    interaction: { ...c.interaction, requestPayload: c.interaction.requestPayload ?? null },
    ...(admitted === undefined ? {} : { admission: admissionMarker(admitted) }),
  };
}

/**
 * A park under an admission budget: the fenced UPDATE, then the budget's decision, then the
 * interaction (WAITING, or ADMISSION_WAITING), its `suspended` event and, when admitted, its
 * request in the outbox; all in the batch's transaction.
 */
async function suspendUnderBudget(db: PoolClient, c: SuspendCommand): Promise<boolean> {
  const i = c.interaction;
  const moved = await row<{ version: number; tenant_id: string; pipeline_id: string }>(
    db,
    `UPDATE executions SET status = 'WAITING_EXTERNAL', await_unit_id = @unitId, lease_owner = NULL,
       lease_expires_at = NULL, next_due_at = NULL, version = version + 1, updated_at = @nowMs
     WHERE execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch
       AND step_index = @stepIndex
     RETURNING version, tenant_id, pipeline_id`,
    {
      unitId: i.unitId,
      nowMs: c.nowMs,
      executionId: c.executionId,
      leaseEpoch: c.leaseEpoch,
      stepIndex: c.stepIndex,
    },
  );
  if (!moved || i.admissionLimit === undefined) return false;
  const admitted = await admitOrHold(db, {
    tenantId: moved.tenant_id,
    pipelineId: moved.pipeline_id,
    stepId: i.stepId,
    executionId: c.executionId,
    interactionId: i.interactionId,
    limit: i.admissionLimit,
    deadlineMs: i.deadlineAtMs - c.nowMs,
    publication: c.publication,
    nowMs: c.nowMs,
  });
  await exec(
    db,
    `INSERT INTO await_interactions (interaction_id, tenant_id, execution_id, unit_id, correlation_id, step_id,
       step_index, status, request_json, assignee, group_name, transport_type, deadline_at, created_at, updated_at)
     VALUES (@interactionId, @tenantId, @executionId, @unitId, @correlationId, @stepId, @stepIndex, @status,
       @requestJson, @assignee, @group, @transportType, @deadlineAtMs, @nowMs, @nowMs)`,
    {
      interactionId: i.interactionId,
      tenantId: moved.tenant_id,
      executionId: c.executionId,
      unitId: i.unitId,
      correlationId: i.correlationId,
      stepId: i.stepId,
      stepIndex: c.stepIndex,
      status: admitted ? 'WAITING' : 'ADMISSION_WAITING',
      requestJson: JSON.stringify(i.requestPayload ?? null),
      assignee: i.assignee,
      group: i.group,
      transportType: i.transportType,
      deadlineAtMs: i.deadlineAtMs,
      nowMs: c.nowMs,
    },
  );
  await appendEvent(
    db,
    c.executionId,
    moved.version,
    JournalEventType.SUSPENDED,
    c.nowMs,
    suspendedData(c, admitted),
  );
  // A held-back request is published when it is admitted, from its admission entry.
  if (admitted) await enqueuePublication(db, c.publication, c.nowMs);
  return true;
}
