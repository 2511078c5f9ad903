/** Schedules as the store keeps them (migration 015), and their row mapping in both dialects. */
import type { MissedFirePolicy } from '../domain/missed-fire.ts';
import { parseJson } from './rows.ts';

/** A pipeline run on a cron expression or an interval (docs/schedules.md). */
export interface ScheduleRecord {
  readonly tenantId: string;
  readonly scheduleId: string;
  readonly pipelineId: string;
  /** The cron expression; null on an interval schedule. */
  readonly cron: string | null;
  /** The IANA zone the cron expression is read in; null on an interval schedule. */
  readonly timezone: string | null;
  /** The interval between slots; null on a cron schedule. Slots are `createdAtMs + k × intervalMs`, k ≥ 1. */
  readonly intervalMs: number | null;
  /** The input every execution it starts is submitted with. */
  readonly input: unknown;
  readonly missedFirePolicy: MissedFirePolicy;
  /** Its executions' idempotency keys are `<prefix>:<slot ISO>`; null: `schedule:<scheduleId>`. */
  readonly idempotencyKeyPrefix: string | null;
  readonly paused: boolean;
  /** The next slot not yet fired or skipped (epoch ms). */
  readonly nextFireAtMs: number;
  /** Slots fired so far (an execution made, or found under the slot's key). */
  readonly firedCount: number;
  /** The latest slot fired, the execution it started, and when. */
  readonly lastSlotAtMs: number | null;
  readonly lastExecutionId: string | null;
  readonly lastFiredAtMs: number | null;
  /** Why the latest slot taken could not start an execution (no active release, an input refused…); cleared by the next fire. */
  readonly lastErrorCode: string | null;
  readonly lastErrorMessage: string | null;
  readonly lastErrorAtMs: number | null;
  /** Bumped by every change. */
  readonly version: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** The execution key of a schedule's slot: the same slot always names the same execution. */
export function slotExecutionKey(
  schedule: Pick<ScheduleRecord, 'scheduleId' | 'idempotencyKeyPrefix'>,
  slotMs: number,
): string {
  return `${schedule.idempotencyKeyPrefix ?? `schedule:${schedule.scheduleId}`}:${new Date(slotMs).toISOString()}`;
}

export interface ScheduleRow {
  schedule_id: string;
  tenant_id: string;
  pipeline_id: string;
  cron: string | null;
  timezone: string | null;
  interval_ms: number | null;
  input_json: string;
  missed_fire_policy: string;
  catch_up_limit: number | null;
  idempotency_key_prefix: string | null;
  /** 0/1 on SQLite, a boolean on PostgreSQL. */
  paused: number | boolean;
  next_fire_at: number;
  fired_count: number;
  last_slot_at: number | null;
  last_execution_id: string | null;
  last_fired_at: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

function policyFromRow(row: ScheduleRow): MissedFirePolicy {
  if (row.missed_fire_policy === 'catch_up') return { kind: 'catch_up', limit: row.catch_up_limit ?? 1 };
  return { kind: row.missed_fire_policy === 'fire_once' ? 'fire_once' : 'skip' };
}

export function scheduleFromRow(row: ScheduleRow): ScheduleRecord {
  return {
    tenantId: row.tenant_id,
    scheduleId: row.schedule_id,
    pipelineId: row.pipeline_id,
    cron: row.cron,
    timezone: row.timezone,
    intervalMs: row.interval_ms,
    input: parseJson(row.input_json),
    missedFirePolicy: policyFromRow(row),
    idempotencyKeyPrefix: row.idempotency_key_prefix,
    paused: row.paused === true || row.paused === 1,
    nextFireAtMs: row.next_fire_at,
    firedCount: row.fired_count,
    lastSlotAtMs: row.last_slot_at,
    lastExecutionId: row.last_execution_id,
    lastFiredAtMs: row.last_fired_at,
    lastErrorCode: row.last_error_code,
    lastErrorMessage: row.last_error_message,
    lastErrorAtMs: row.last_error_at,
    version: row.version,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

/** A new schedule's row, as named parameters (`paused` as the dialect binds a boolean). */
export function newScheduleParams(s: ScheduleRecord, paused: number | boolean): Record<string, unknown> {
  return {
    scheduleId: s.scheduleId,
    tenantId: s.tenantId,
    pipelineId: s.pipelineId,
    cron: s.cron,
    timezone: s.timezone,
    intervalMs: s.intervalMs,
    inputJson: JSON.stringify(s.input ?? null),
    missedFirePolicy: s.missedFirePolicy.kind,
    catchUpLimit: s.missedFirePolicy.kind === 'catch_up' ? s.missedFirePolicy.limit : null,
    idempotencyKeyPrefix: s.idempotencyKeyPrefix,
    paused,
    nextFireAtMs: s.nextFireAtMs,
    createdAtMs: s.createdAtMs,
  };
}

/** `INSERT` of a new schedule (both dialects; named parameters from `newScheduleParams`). */
export const INSERT_SCHEDULE_SQL = `INSERT INTO schedules (schedule_id, tenant_id, pipeline_id, cron, timezone,
    interval_ms, input_json, missed_fire_policy, catch_up_limit, idempotency_key_prefix, paused,
    next_fire_at, fired_count, version, created_at, updated_at)
  VALUES (@scheduleId, @tenantId, @pipelineId, @cron, @timezone, @intervalMs, @inputJson,
    @missedFirePolicy, @catchUpLimit, @idempotencyKeyPrefix, @paused, @nextFireAtMs, 0, 1,
    @createdAtMs, @createdAtMs)`;
