import {
  INSERT_SCHEDULE_SQL,
  newScheduleParams,
  scheduleFromRow,
  type ScheduleRecord,
  type ScheduleRow,
} from '../schedule-records.ts';
import type {
  AdvanceScheduleCommand,
  AdvanceScheduleOutcome,
  ScheduleStore,
  SlotError,
} from '../store-port.ts';
import type { PoolClient } from 'pg';
import { stillLeads } from './leadership.ts';
import { exec, row, rows, type Db } from './sql.ts';
import { submits } from './submit.ts';

export async function createSchedule(db: Db, s: ScheduleRecord): Promise<void> {
  await exec(db, INSERT_SCHEDULE_SQL, newScheduleParams(s, s.paused));
}

export async function getSchedule(
  db: Db,
  tenantId: string,
  scheduleId: string,
): Promise<ScheduleRecord | undefined> {
  const found = await row<ScheduleRow>(
    db,
    'SELECT * FROM schedules WHERE tenant_id = @tenantId AND schedule_id = @scheduleId',
    { tenantId, scheduleId },
  );
  return found && scheduleFromRow(found);
}

export async function listSchedules(
  db: Db,
  tenantId: string,
  pipelineId: string | undefined,
): Promise<ScheduleRecord[]> {
  const found = await rows<ScheduleRow>(
    db,
    `SELECT * FROM schedules WHERE tenant_id = @tenantId AND (@pipelineId::text IS NULL OR pipeline_id = @pipelineId)
     ORDER BY created_at, schedule_id`,
    { tenantId, pipelineId: pipelineId ?? null },
  );
  return found.map(scheduleFromRow);
}

export async function setSchedulePaused(
  db: Db,
  c: Parameters<ScheduleStore['setSchedulePaused']>[0],
): Promise<ScheduleRecord | undefined> {
  const changed = await row<ScheduleRow>(
    db,
    `UPDATE schedules SET paused = @paused, version = version + 1, updated_at = @nowMs
     WHERE tenant_id = @tenantId AND schedule_id = @scheduleId AND paused <> @paused RETURNING *`,
    { tenantId: c.tenantId, scheduleId: c.scheduleId, paused: c.paused, nowMs: c.nowMs },
  );
  return changed ? scheduleFromRow(changed) : getSchedule(db, c.tenantId, c.scheduleId);
}

export async function deleteSchedule(
  db: Db,
  tenantId: string,
  scheduleId: string,
): Promise<ScheduleRecord | undefined> {
  const deleted = await row<ScheduleRow>(
    db,
    'DELETE FROM schedules WHERE tenant_id = @tenantId AND schedule_id = @scheduleId RETURNING *',
    { tenantId, scheduleId },
  );
  return deleted && scheduleFromRow(deleted);
}

export async function findDueSchedules(db: Db, nowMs: number, limit: number): Promise<ScheduleRecord[]> {
  const found = await rows<ScheduleRow>(
    db,
    'SELECT * FROM schedules WHERE NOT paused AND next_fire_at <= @nowMs ORDER BY next_fire_at LIMIT @limit',
    { nowMs, limit },
  );
  return found.map(scheduleFromRow);
}

/**
 * The guarded move of a schedule's next slot (see `ScheduleStore.advanceSchedule`), in the
 * caller's transaction: the fence (its row locked FOR SHARE, so a takeover waits for this
 * transaction), then the UPDATE on the position, whose row lock makes a pause, a delete or
 * another move wait and then find the guard changed; then the slot's execution.
 */
export async function advanceSchedule(
  db: PoolClient,
  c: AdvanceScheduleCommand,
): Promise<AdvanceScheduleOutcome> {
  if (!(await stillLeads(db, c.leader))) return { kind: 'lost' };
  const moved = await exec(
    db,
    `UPDATE schedules SET next_fire_at = @nextFireAtMs, version = version + 1, updated_at = @nowMs
     WHERE tenant_id = @tenantId AND schedule_id = @scheduleId AND NOT paused
       AND next_fire_at = @expectedNextFireAtMs`,
    {
      tenantId: c.tenantId,
      scheduleId: c.scheduleId,
      nextFireAtMs: c.nextFireAtMs,
      expectedNextFireAtMs: c.expectedNextFireAtMs,
      nowMs: c.nowMs,
    },
  );
  if (moved === 0) return { kind: 'lost' };
  if (c.error) await recordSlotError(db, c, c.error);
  if (!c.fire) return { kind: 'advanced' };
  const [outcome] = await submits.runAll(db, [c.fire.submit]);
  if (!outcome) throw new Error('the slot submit returned no outcome');
  if (outcome.kind === 'conflict') {
    await recordSlotError(db, c, {
      code: 'idempotency_conflict',
      message: `the slot's key ${c.fire.submit.executionKey} names an execution of another input`,
    });
    return { kind: 'conflict', execution: outcome.execution };
  }
  await exec(
    db,
    `UPDATE schedules SET fired_count = fired_count + 1, last_slot_at = @slotMs,
       last_execution_id = @executionId, last_fired_at = @nowMs,
       last_error_code = NULL, last_error_message = NULL, last_error_at = NULL
     WHERE tenant_id = @tenantId AND schedule_id = @scheduleId`,
    {
      tenantId: c.tenantId,
      scheduleId: c.scheduleId,
      slotMs: c.fire.slotMs,
      executionId: outcome.execution.executionId,
      nowMs: c.nowMs,
    },
  );
  return { kind: 'fired', execution: outcome.execution, duplicate: outcome.kind === 'duplicate' };
}

async function recordSlotError(db: Db, c: AdvanceScheduleCommand, error: SlotError): Promise<void> {
  await exec(
    db,
    `UPDATE schedules SET last_error_code = @code, last_error_message = @message, last_error_at = @nowMs
     WHERE tenant_id = @tenantId AND schedule_id = @scheduleId`,
    {
      tenantId: c.tenantId,
      scheduleId: c.scheduleId,
      nowMs: c.nowMs,
      code: error.code,
      message: error.message,
    },
  );
}
