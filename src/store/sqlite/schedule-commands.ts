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
import { stillLeads } from './leadership.ts';
import type { Statements } from './statements.ts';
import { submitExecution } from './submit.ts';

export function createSchedule(sql: Statements, s: ScheduleRecord): void {
  sql.get(INSERT_SCHEDULE_SQL).run(newScheduleParams(s, s.paused ? 1 : 0));
}

export function getSchedule(
  sql: Statements,
  tenantId: string,
  scheduleId: string,
): ScheduleRecord | undefined {
  const row = sql
    .get('SELECT * FROM schedules WHERE tenant_id = ? AND schedule_id = ?')
    .get(tenantId, scheduleId) as ScheduleRow | undefined;
  return row && scheduleFromRow(row);
}

export function listSchedules(
  sql: Statements,
  tenantId: string,
  pipelineId: string | undefined,
): ScheduleRecord[] {
  const rows = sql
    .get(
      `SELECT * FROM schedules WHERE tenant_id = @tenantId AND (@pipelineId IS NULL OR pipeline_id = @pipelineId)
       ORDER BY created_at, schedule_id`,
    )
    .all({ tenantId, pipelineId: pipelineId ?? null }) as ScheduleRow[];
  return rows.map(scheduleFromRow);
}

export function setSchedulePaused(
  sql: Statements,
  c: Parameters<ScheduleStore['setSchedulePaused']>[0],
): ScheduleRecord | undefined {
  sql
    .get(
      `UPDATE schedules SET paused = @paused, version = version + 1, updated_at = @nowMs
       WHERE tenant_id = @tenantId AND schedule_id = @scheduleId AND paused <> @paused`,
    )
    .run({ ...c, paused: c.paused ? 1 : 0 });
  return getSchedule(sql, c.tenantId, c.scheduleId);
}

export function deleteSchedule(
  sql: Statements,
  tenantId: string,
  scheduleId: string,
): ScheduleRecord | undefined {
  const row = sql
    .get('DELETE FROM schedules WHERE tenant_id = ? AND schedule_id = ? RETURNING *')
    .get(tenantId, scheduleId) as ScheduleRow | undefined;
  return row && scheduleFromRow(row);
}

export function findDueSchedules(sql: Statements, nowMs: number, limit: number): ScheduleRecord[] {
  const rows = sql
    .get('SELECT * FROM schedules WHERE paused = 0 AND next_fire_at <= ? ORDER BY next_fire_at LIMIT ?')
    .all(nowMs, limit) as ScheduleRow[];
  return rows.map(scheduleFromRow);
}

/**
 * The guarded move of a schedule's next slot (see `ScheduleStore.advanceSchedule`): the fence,
 * then the position and the schedule active, checked by the UPDATE whose row count decides;
 * then the slot's execution, in the same transaction (SQLite has one writer).
 */
export function advanceSchedule(sql: Statements, c: AdvanceScheduleCommand): AdvanceScheduleOutcome {
  if (!stillLeads(sql, c.leader)) return { kind: 'lost' };
  const moved = sql
    .get(
      `UPDATE schedules SET next_fire_at = @nextFireAtMs, version = version + 1, updated_at = @nowMs
       WHERE tenant_id = @tenantId AND schedule_id = @scheduleId AND paused = 0
         AND next_fire_at = @expectedNextFireAtMs`,
    )
    .run({
      tenantId: c.tenantId,
      scheduleId: c.scheduleId,
      nextFireAtMs: c.nextFireAtMs,
      expectedNextFireAtMs: c.expectedNextFireAtMs,
      nowMs: c.nowMs,
    }).changes;
  if (moved === 0) return { kind: 'lost' };
  if (c.error) recordSlotError(sql, c, c.error);
  if (!c.fire) return { kind: 'advanced' };
  const outcome = submitExecution(sql, c.fire.submit);
  if (outcome.kind === 'conflict') {
    recordSlotError(sql, c, {
      code: 'idempotency_conflict',
      message: `the slot's key ${c.fire.submit.executionKey} names an execution of another input`,
    });
    return { kind: 'conflict', execution: outcome.execution };
  }
  sql
    .get(
      `UPDATE schedules SET fired_count = fired_count + 1, last_slot_at = @slotMs,
         last_execution_id = @executionId, last_fired_at = @nowMs,
         last_error_code = NULL, last_error_message = NULL, last_error_at = NULL
       WHERE tenant_id = @tenantId AND schedule_id = @scheduleId`,
    )
    .run({
      tenantId: c.tenantId,
      scheduleId: c.scheduleId,
      slotMs: c.fire.slotMs,
      executionId: outcome.execution.executionId,
      nowMs: c.nowMs,
    });
  return { kind: 'fired', execution: outcome.execution, duplicate: outcome.kind === 'duplicate' };
}

function recordSlotError(sql: Statements, c: AdvanceScheduleCommand, error: SlotError): void {
  sql
    .get(
      `UPDATE schedules SET last_error_code = @code, last_error_message = @message, last_error_at = @nowMs
       WHERE tenant_id = @tenantId AND schedule_id = @scheduleId`,
    )
    .run({ tenantId: c.tenantId, scheduleId: c.scheduleId, nowMs: c.nowMs, ...error });
}
