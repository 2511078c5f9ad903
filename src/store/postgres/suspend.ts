import { JournalEventType } from '../../domain/journal-events.ts';
import type { SuspendCommand } from '../store-port.ts';
import { FIRST_OF_EACH_FENCE, matchedByOrd } from './batch-sql.ts';
import type { CommandKind } from './group-commit.ts';
import { rows } from './sql.ts';

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

/** Parks an execution on a new await interaction; true when the fence still held. */
export const suspends: CommandKind<SuspendCommand, boolean> = {
  runAll: async (db, cs) => {
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
      dataJsons: cs.map((c) =>
        JSON.stringify({
          stepIndex: c.stepIndex,
          interaction: { ...c.interaction, requestPayload: c.interaction.requestPayload ?? null },
        }),
      ),
      nowsMs: cs.map((c) => c.nowMs),
      topics: cs.map((c) => c.publication?.topic ?? null),
      publicationJsons: cs.map((c) => (c.publication ? JSON.stringify(c.publication.payload) : null)),
      eventType: JournalEventType.SUSPENDED,
    });
    return matchedByOrd(cs.length, moved);
  },
};
