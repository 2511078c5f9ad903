import { leadershipFromRow, type LeadershipRow } from '../rows.ts';
import type { LeaderFence, Leadership, LeadershipStore } from '../store-port.ts';
import type { Statements } from './statements.ts';

export function acquireLeadership(
  sql: Statements,
  c: Parameters<LeadershipStore['acquireLeadership']>[0],
): Leadership | undefined {
  const taken = sql
    .get(
      `INSERT INTO leadership (role, holder, epoch, acquired_at, expires_at)
       VALUES (@role, @holder, 1, @nowMs, @expiresAtMs)
       ON CONFLICT (role) DO UPDATE SET
         epoch = CASE WHEN leadership.holder = excluded.holder THEN leadership.epoch ELSE leadership.epoch + 1 END,
         acquired_at = CASE WHEN leadership.holder = excluded.holder THEN leadership.acquired_at ELSE excluded.acquired_at END,
         holder = excluded.holder,
         expires_at = excluded.expires_at
       WHERE leadership.holder = excluded.holder OR leadership.expires_at <= @nowMs OR @takeOver = 1
       RETURNING *`,
    )
    .get({
      role: c.role,
      holder: c.holder,
      nowMs: c.nowMs,
      expiresAtMs: c.nowMs + c.ttlMs,
      takeOver: c.takeOver ? 1 : 0,
    }) as LeadershipRow | undefined;
  return taken && leadershipFromRow(taken);
}

export function releaseLeadership(sql: Statements, fence: LeaderFence): void {
  sql
    .get('UPDATE leadership SET expires_at = 0 WHERE role = @role AND holder = @holder AND epoch = @epoch')
    .run({ ...fence });
}

export function getLeadership(sql: Statements, role: string): Leadership | undefined {
  const found = sql.get('SELECT * FROM leadership WHERE role = ?').get(role) as LeadershipRow | undefined;
  return found && leadershipFromRow(found);
}

/** True while `fence` still holds the lease; SQLite serialises writers, so a read suffices. */
export function stillLeads(sql: Statements, fence: LeaderFence): boolean {
  return (
    sql
      .get('SELECT 1 FROM leadership WHERE role = @role AND holder = @holder AND epoch = @epoch')
      .get({ ...fence }) !== undefined
  );
}
