import { applyJournalEvent, countItems, type ExecutionProjection } from '../../domain/execution-projection.ts';
import { readJournal } from './queries.ts';
import {
  EXECUTION_COLUMNS,
  INTERACTION_COLUMNS,
  executionToRow,
  interactionToRow,
  type ExecutionRow,
  type InteractionRow,
} from '../rows.ts';
import { exec, rows, type Db } from './sql.ts';

const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;

/**
 * Replaces every projection (executions, step outputs, interactions) with the fold of the
 * journal, inside the caller's transaction. The projections are locked exclusively and the
 * journal against writes first, so no other node writes while the fold is taken. Lease
 * renewals are not journaled: a RUNNING execution's lease expiry comes back as at claim time.
 */
export async function rebuildProjections(db: Db): Promise<void> {
  await db.query('LOCK TABLE executions, step_outputs, await_interactions IN ACCESS EXCLUSIVE MODE');
  await db.query('LOCK TABLE journal IN SHARE MODE');
  const ids = (
    await rows<Pick<ExecutionRow, 'execution_id'>>(
      db,
      'SELECT DISTINCT execution_id FROM journal ORDER BY execution_id',
    )
  ).map((r) => r.execution_id);
  const projections: ExecutionProjection[] = [];
  for (const id of ids) {
    let state: ExecutionProjection | undefined;
    for (const event of await readJournal(db, id, 0, Number.MAX_SAFE_INTEGER))
      state = applyJournalEvent(state, event);
    if (state) projections.push(state);
  }
  countItems(projections);
  for (const table of ['step_outputs', 'await_interactions', 'executions'])
    await db.query(`DELETE FROM ${table}`);
  const insertExecution = insertSql('executions', EXECUTION_COLUMNS);
  const insertInteraction = insertSql('await_interactions', INTERACTION_COLUMNS);
  for (const p of projections) {
    await exec(db, insertExecution, { ...executionToRow(p.execution) });
    for (const [stepIndex, output] of p.stepOutputs) {
      await exec(
        db,
        'INSERT INTO step_outputs (execution_id, step_index, output_json) VALUES (@executionId, @stepIndex, @outputJson)',
        { executionId: p.execution.executionId, stepIndex, outputJson: JSON.stringify(output ?? null) },
      );
    }
    for (const interaction of p.interactions.values())
      await exec(db, insertInteraction, { ...interactionToRow(interaction) });
  }
}

/** Every projection row in a stable order, as plain objects, for comparing live state with a rebuild. */
export async function snapshotProjections(db: Db): Promise<unknown> {
  const all = async (sql: string) =>
    (await rows<ExecutionRow | InteractionRow>(db, sql)).map((r) => ({ ...r }));
  return {
    executions: await all('SELECT * FROM executions ORDER BY execution_id'),
    stepOutputs: await all('SELECT * FROM step_outputs ORDER BY execution_id, step_index'),
    interactions: await all('SELECT * FROM await_interactions ORDER BY interaction_id'),
  };
}
