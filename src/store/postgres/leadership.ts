import { leadershipFromRow, type LeadershipRow } from '../rows.ts';
import type { LeaderFence, Leadership, LeadershipStore } from '../store-port.ts';
import { exec, row, type Db } from './sql.ts';

/**
 * One statement, so it runs in a transaction of its own (outside group commit): a node
 * waiting for a deposed leader's batch to release the row never holds up other commands.
 */
export async function acquireLeadership(
  db: Db,
  c: Parameters<LeadershipStore['acquireLeadership']>[0],
): Promise<Leadership | undefined> {
  const taken = await row<LeadershipRow>(
    db,
    `INSERT INTO leadership AS l (role, holder, epoch, acquired_at, expires_at)
     VALUES (@role, @holder, 1, @nowMs, @expiresAtMs)
     ON CONFLICT (role) DO UPDATE SET
       epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END,
       acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
       holder = EXCLUDED.holder,
       expires_at = EXCLUDED.expires_at
     WHERE l.holder = EXCLUDED.holder OR l.expires_at <= @nowMs OR @takeOver::boolean
     RETURNING *`,
    { role: c.role, holder: c.holder, nowMs: c.nowMs, expiresAtMs: c.nowMs + c.ttlMs, takeOver: c.takeOver },
  );
  return taken && leadershipFromRow(taken);
}

export async function releaseLeadership(db: Db, fence: LeaderFence): Promise<void> {
  await exec(
    db,
    'UPDATE leadership SET expires_at = 0 WHERE role = @role AND holder = @holder AND epoch = @epoch',
    fence,
  );
}

export async function getLeadership(db: Db, role: string): Promise<Leadership | undefined> {
  const found = await row<LeadershipRow>(db, 'SELECT * FROM leadership WHERE role = @role', { role });
  return found && leadershipFromRow(found);
}

/**
 * True while `fence` still holds the lease. Runs inside a leader-only command's transaction
 * and locks the row FOR SHARE, so a takeover waits for that transaction to end: a command
 * either commits under the epoch it checked or sees the new one and does nothing.
 */
export async function stillLeads(db: Db, fence: LeaderFence): Promise<boolean> {
  const found = await row(
    db,
    `SELECT 1 AS held FROM leadership WHERE role = @role AND holder = @holder AND epoch = @epoch FOR SHARE`,
    fence,
  );
  return found !== undefined;
}
