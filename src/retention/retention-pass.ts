import type { Logger } from '../runtime/logger.ts';
import type { LeaderFence, Store } from '../store/store-port.ts';
import type { HistoryArchive } from './history-archive.ts';

export interface RetentionDeps {
  readonly store: Store;
  readonly logger: Logger;
  /** Executions one batch deletes at most (items included), in one short transaction. */
  readonly batchSize: number;
  /** Batches one pass runs at most: a backlog drains over several passes, never in one long one. */
  readonly batchesPerPass: number;
  /** Where each execution's history is written before it is deleted; none: deleted unarchived. */
  readonly archive?: HistoryArchive | undefined;
}

export interface RetentionReport {
  /** Executions deleted, items included. */
  readonly purged: number;
  /** History files written. */
  readonly archived: number;
  /** Executions whose archive could not be written: they stay, to be tried again next pass. */
  readonly archiveFailures: number;
}

/**
 * The TTL purge of one maintenance pass (docs/retention.md), run by the leader: batches of at
 * most `batchSize` executions whose TTL passed, each in its own short transaction, while the
 * batches come back full and up to `batchesPerPass`. With an archive, each execution's history
 * is written (and flushed) before it may be deleted: an execution whose archive fails is not
 * passed to the purge, so no history leaves the store unarchived.
 *
 * Idle it costs one indexed read per pass, however many executions are kept within their TTL.
 */
export async function runRetention(
  d: RetentionDeps,
  leader: LeaderFence,
  nowMs: number,
): Promise<RetentionReport> {
  let purged = 0;
  let archived = 0;
  let archiveFailures = 0;
  for (let batch = 0; batch < d.batchesPerPass; batch++) {
    const expired = await d.store.findExpired(nowMs, d.batchSize);
    if (expired.length === 0) break;
    let ids = expired.map((e) => e.executionId);
    if (d.archive) {
      const written = await archiveEach(d.archive, expired, d.logger);
      archived += written.archived;
      archiveFailures += written.failed;
      ids = written.ids;
      if (ids.length === 0) break;
    }
    const deleted = await d.store.purgeExpired({ leader, nowMs, limit: d.batchSize, executionIds: ids });
    purged += deleted;
    // A short batch: nothing more is due, or the rest is held elsewhere (or leadership was lost).
    if (deleted < d.batchSize) break;
  }
  return { purged, archived, archiveFailures };
}

async function archiveEach(
  archive: HistoryArchive,
  expired: Awaited<ReturnType<Store['findExpired']>>,
  logger: Logger,
): Promise<{ ids: string[]; archived: number; failed: number }> {
  const ids: string[] = [];
  let archived = 0;
  let failed = 0;
  let firstError: { executionId: string; error: unknown } | undefined;
  for (const e of expired) {
    try {
      if (await archive.write(e)) archived += 1;
      ids.push(e.executionId);
    } catch (error) {
      failed += 1;
      firstError ??= { executionId: e.executionId, error };
    }
  }
  // One line per batch, not per execution: a broken archive directory fails them all alike.
  if (firstError)
    logger.error(
      {
        archiveDir: archive.dir,
        failed,
        executionId: firstError.executionId,
        err: firstError.error,
      },
      'history archive failed: those executions are kept and tried again next pass',
    );
  return { ids, archived, failed };
}
