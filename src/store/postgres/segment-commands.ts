import type { FailureDecision } from '../../domain/retry-policy.ts';
import type { Fence, Publication, StepFailure } from '../store-port.ts';
import { enqueuePublication, JOURNAL_MOVED } from './journal.ts';
import { failureUpdate, type FailureCommand } from '../failure-update.ts';
import { row, type Db } from './sql.ts';
import { settleItem } from './item-commands.ts';

// Every command here is fenced: it matches only while the execution is RUNNING under the
// caller's lease epoch and at the expected step. A stale worker's write matches no row.
const FENCED = `execution_id = @executionId AND status = 'RUNNING' AND lease_epoch = @leaseEpoch AND step_index = @stepIndex`;

// A failure is one statement: the guarded UPDATE, and in a CTE of the same statement its
// journal event, written only when the guard matched. Checkpoints and success, the commands
// every step ends with, are in `step-commits.ts`; suspend is in `suspend.ts`.

export async function fail(
  db: Db,
  c: Fence & {
    stepIndex: number;
    failure: StepFailure;
    decision: FailureDecision;
    publication: Publication | undefined;
    nowMs: number;
    expiresAtMs: number;
  },
): Promise<boolean> {
  const version = await applyFailure(db, FENCED, { ...c, ...c.failure });
  return version !== undefined;
}

/**
 * Writes a failure decision under a guard: WAIT_RETRY with the next attempt, or a terminal
 * DLQ / FAILED with its reason and the DLQ publication in the same transaction.
 * Returns the new version, or undefined when the guard did not match.
 */
export async function applyFailure(db: Db, guard: string, c: FailureCommand): Promise<number | undefined> {
  const update = failureUpdate(c);
  const updated = await row<{ version: number; parent_execution_id: string | null }>(
    db,
    `WITH moved AS (UPDATE executions SET ${update.set} WHERE ${guard}
         RETURNING execution_id, version, parent_execution_id),
       ${JOURNAL_MOVED}
     SELECT version, parent_execution_id FROM moved`,
    { ...update.params, eventType: update.event.type, data: JSON.stringify(update.event.data) },
  );
  if (!updated) return undefined;
  if (c.decision.kind === 'dlq') await enqueuePublication(db, c.publication, c.nowMs);
  // A terminal failure (DLQ or FAILED) of an item settles it with its parent.
  if (c.decision.kind !== 'retry') await settleItem(db, updated.parent_execution_id, true, c.nowMs);
  return updated.version;
}
