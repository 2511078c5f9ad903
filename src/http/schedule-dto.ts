import type { MissedFirePolicyBody, Schedule } from '../api-schema/schedules.ts';
import type { ScheduleView } from '../coordinator/schedules.ts';
import type { MissedFirePolicy } from '../domain/missed-fire.ts';
import { formatIsoDuration } from '../util/iso-duration.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The missed-fire policy as the API spells it. */
export function missedFirePolicyDto(p: MissedFirePolicy): MissedFirePolicyBody {
  return p.kind === 'catch_up' ? { catchUp: { limit: p.limit } } : p.kind;
}

/** A schedule as the admin API answers it, with its next slots (`Schedules.view`). */
export function scheduleDto({ schedule: s, nextFireTimesMs }: ScheduleView): Schedule {
  return {
    scheduleId: s.scheduleId,
    tenantId: s.tenantId,
    pipelineId: s.pipelineId,
    cron: s.cron,
    timezone: s.timezone,
    interval: s.intervalMs === null ? null : formatIsoDuration(s.intervalMs),
    input: s.input,
    missedFirePolicy: missedFirePolicyDto(s.missedFirePolicy),
    idempotencyKeyPrefix: s.idempotencyKeyPrefix ?? `schedule:${s.scheduleId}`,
    paused: s.paused,
    nextFireTimes: nextFireTimesMs.map(iso),
    firedCount: s.firedCount,
    lastFire:
      s.lastSlotAtMs === null
        ? null
        : { slot: iso(s.lastSlotAtMs), executionId: s.lastExecutionId, atEpochMs: s.lastFiredAtMs },
    lastError:
      s.lastErrorCode === null
        ? null
        : { code: s.lastErrorCode, message: s.lastErrorMessage ?? '', atEpochMs: s.lastErrorAtMs },
    version: s.version,
    createdAtEpochMs: s.createdAtMs,
    updatedAtEpochMs: s.updatedAtMs,
  };
}
