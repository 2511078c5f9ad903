import { applyJournalEvent, countItems, type ExecutionProjection } from '../../domain/execution-projection.ts';
import { readJournal } from './queries.ts';
import {
  EXECUTION_COLUMNS,
  INTERACTION_COLUMNS,
  executionToRow,
  insertSql,
  interactionToRow,
  type ExecutionRow,
} from '../rows.ts';
import type { Statements } from './statements.ts';

/**
 * Replaces every projection (executions, step outputs, interactions) with the fold of the
 * journal. Lease renewals are not journaled, so a RUNNING execution's lease expiry comes back
 * as it was at claim time; everything else comes back exactly.
 */
export function rebuildProjections(sql: Statements): void {
  const ids = (
    sql.get('SELECT DISTINCT execution_id FROM journal ORDER BY execution_id').all() as ExecutionRow[]
  ).map((r) => r.execution_id);
  const projections: ExecutionProjection[] = [];
  for (const id of ids) {
    let state: ExecutionProjection | undefined;
    for (const event of readJournal(sql, id, 0, Number.MAX_SAFE_INTEGER))
      state = applyJournalEvent(state, event);
    if (state) projections.push(state);
  }
  countItems(projections);
  for (const table of ['step_outputs', 'await_interactions', 'executions'])
    sql.db.exec(`DELETE FROM ${table}`);
  const insertExecution = sql.get(insertSql('executions', EXECUTION_COLUMNS));
  const insertInteraction = sql.get(insertSql('await_interactions', INTERACTION_COLUMNS));
  const insertOutput = sql.get(
    'INSERT INTO step_outputs (execution_id, step_index, output_json) VALUES (?, ?, ?)',
  );
  for (const p of projections) {
    insertExecution.run(executionToRow(p.execution));
    for (const [stepIndex, output] of p.stepOutputs) {
      insertOutput.run(p.execution.executionId, stepIndex, JSON.stringify(output ?? null));
    }
    for (const interaction of p.interactions.values()) insertInteraction.run(interactionToRow(interaction));
  }
}

/** Every projection row in a stable order, for comparing live state with a rebuild. */
export function snapshotProjections(sql: Statements): unknown {
  // Plain objects whichever driver read them (node:sqlite rows have no prototype).
  const rows = (query: string) =>
    sql.db
      .prepare(query)
      .all()
      .map((row) => ({ ...(row as object) }));
  return {
    executions: rows('SELECT * FROM executions ORDER BY execution_id'),
    stepOutputs: rows('SELECT * FROM step_outputs ORDER BY execution_id, step_index'),
    interactions: rows('SELECT * FROM await_interactions ORDER BY interaction_id'),
  };
}
