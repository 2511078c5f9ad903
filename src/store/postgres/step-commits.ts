import { JournalEventType } from '../../domain/journal-events.ts';
import type { Fence } from '../store-port.ts';
import { toJson } from '../rows.ts';
import { FIRST_OF_EACH_FENCE, matchedByOrd } from './batch-sql.ts';
import type { CommandKind } from './group-commit.ts';
import { rows } from './sql.ts';
import { settleItem } from './item-commands.ts';

// The two commands that commit a step's output, each as one statement for every command of
// its kind in a group-commit batch: the commands arrive as parallel arrays (`unnest`, one
// row each, numbered by `ord`), and each row is guarded on its own (fenced: RUNNING under the
// caller's lease epoch, at the expected step), so a stale worker's row matches nothing while
// the others commit. CTEs of the same statement write the checkpoint and the journal event
// of each row the guarded UPDATE moved; the statement returns the `ord` of those rows.

export type CheckpointCommand = Fence & { stepIndex: number; output: unknown; nowMs: number };
export type SucceedCommand = Fence & {
  stepIndex: number;
  result: unknown;
  nowMs: number;
  expiresAtMs: number;
};

/** Writes the checkpoint and the journal event of each row of `moved`. */
const OUTPUT_AND_EVENT = `output AS (
    INSERT INTO step_outputs (execution_id, step_index, output_json)
    SELECT execution_id, step_index, output_json FROM moved
    ON CONFLICT (execution_id, step_index) DO UPDATE SET output_json = excluded.output_json),
  event AS (
    INSERT INTO journal (execution_id, seq, type, at, data_json)
    SELECT execution_id, version, @eventType::text, now_ms, data_json FROM moved)`;

const CHECKPOINTS = `WITH input AS (
    SELECT * FROM unnest(@executionIds::text[], @leaseEpochs::integer[], @stepIndexes::integer[],
      @outputJsons::text[], @dataJsons::text[], @nowsMs::bigint[]) WITH ORDINALITY
      AS i (execution_id, lease_epoch, step_index, output_json, data_json, now_ms, ord)),
  moved AS (
    UPDATE executions AS x SET step_index = i.step_index + 1, attempt = 0, version = x.version + 1,
      updated_at = i.now_ms
    FROM (${FIRST_OF_EACH_FENCE}) AS i
    WHERE x.execution_id = i.execution_id AND x.status = 'RUNNING' AND x.lease_epoch = i.lease_epoch
      AND x.step_index = i.step_index
    RETURNING x.execution_id, x.version, i.step_index, i.output_json, i.data_json, i.now_ms, i.ord),
  ${OUTPUT_AND_EVENT}
  SELECT ord FROM moved`;

const SUCCEEDS = `WITH input AS (
    SELECT * FROM unnest(@executionIds::text[], @leaseEpochs::integer[], @stepIndexes::integer[],
      @outputJsons::text[], @resultJsons::text[], @expiresAtMs::bigint[], @dataJsons::text[],
      @nowsMs::bigint[]) WITH ORDINALITY
      AS i (execution_id, lease_epoch, step_index, output_json, result_json, expires_at, data_json, now_ms, ord)),
  moved AS (
    UPDATE executions AS x SET status = 'SUCCEEDED', step_index = i.step_index + 1, attempt = 0,
      result_json = i.result_json, lease_owner = NULL, lease_expires_at = NULL, next_due_at = NULL,
      await_unit_id = NULL, error_code = NULL, error_message = NULL, dlq_reason = NULL,
      expires_at = i.expires_at, version = x.version + 1, updated_at = i.now_ms
    FROM (${FIRST_OF_EACH_FENCE}) AS i
    WHERE x.execution_id = i.execution_id AND x.status = 'RUNNING' AND x.lease_epoch = i.lease_epoch
      AND x.step_index = i.step_index
    RETURNING x.execution_id, x.version, i.step_index, i.output_json, i.data_json, i.now_ms, i.ord,
      x.parent_execution_id),
  ${OUTPUT_AND_EVENT}
  SELECT ord, parent_execution_id, now_ms FROM moved`;

/** The columns every fenced step commit has, one array element per command. */
const fencedStepColumns = (cs: readonly (Fence & { stepIndex: number; nowMs: number })[]) => ({
  executionIds: cs.map((c) => c.executionId),
  leaseEpochs: cs.map((c) => c.leaseEpoch),
  stepIndexes: cs.map((c) => c.stepIndex),
  nowsMs: cs.map((c) => c.nowMs),
});

/** Checkpoints a step's output; true when the fence still held. */
export const checkpoints: CommandKind<CheckpointCommand, boolean> = {
  runAll: async (db, cs) =>
    matchedByOrd(
      cs.length,
      await rows<{ ord: number }>(db, CHECKPOINTS, {
        ...fencedStepColumns(cs),
        outputJsons: cs.map((c) => JSON.stringify(c.output ?? null)),
        dataJsons: cs.map((c) => JSON.stringify({ stepIndex: c.stepIndex, output: c.output })),
        eventType: JournalEventType.STEP_COMPLETED,
      }),
    ),
};

/** Ends an execution SUCCEEDED with the last step's output as its result; true when the fence held. */
export const succeeds: CommandKind<SucceedCommand, boolean> = {
  runAll: async (db, cs) => {
    const moved = await rows<{ ord: number; parent_execution_id: string | null; now_ms: number }>(db, SUCCEEDS, {
        ...fencedStepColumns(cs),
        outputJsons: cs.map((c) => JSON.stringify(c.result ?? null)),
        resultJsons: cs.map((c) => toJson(c.result)),
        expiresAtMs: cs.map((c) => c.expiresAtMs),
        dataJsons: cs.map((c) =>
          JSON.stringify({ stepIndex: c.stepIndex, result: c.result ?? null, expiresAtMs: c.expiresAtMs }),
        ),
        eventType: JournalEventType.SUCCEEDED,
      });
    // An item that succeeded settles with its parent, in this same transaction.
    for (const r of [...moved].sort(byParent)) await settleItem(db, r.parent_execution_id, false, r.now_ms);
    return matchedByOrd(cs.length, moved);
  },
};

const byParent = (a: { parent_execution_id: string | null }, b: { parent_execution_id: string | null }) =>
  (a.parent_execution_id ?? '').localeCompare(b.parent_execution_id ?? '');
