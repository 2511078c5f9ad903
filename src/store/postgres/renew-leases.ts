import type { Fence } from '../store-port.ts';
import { exec, type Db } from './sql.ts';

/**
 * Extends every lease still held, in one statement: each fence is a guarded match (RUNNING
 * under that epoch), so a lease that changed hands meanwhile is left alone. Not journaled.
 */
export function renewLeases(db: Db, fences: readonly Fence[], untilMs: number): Promise<number> {
  if (fences.length === 0) return Promise.resolve(0);
  return exec(
    db,
    `UPDATE executions AS x SET lease_expires_at = @untilMs
     FROM unnest(@executionIds::text[], @leaseEpochs::integer[]) AS f (execution_id, lease_epoch)
     WHERE x.execution_id = f.execution_id AND x.status = 'RUNNING' AND x.lease_epoch = f.lease_epoch`,
    {
      untilMs,
      executionIds: fences.map((f) => f.executionId),
      leaseEpochs: fences.map((f) => f.leaseEpoch),
    },
  );
}
