import { MAX_CATCH_UP_LIMIT, type MissedFirePolicy } from '../domain/missed-fire.ts';
import {
  InvalidScheduleError,
  NEVER_MS,
  slotClockOf,
  upcomingSlots,
  type SlotClock,
} from '../domain/schedule-slots.ts';
import { CapstanError } from '../errors/catalog.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import { schemaIssues } from '../releases/release-catalog.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { ScheduleRecord } from '../store/schedule-records.ts';
import type { Store } from '../store/store-port.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';

/** What an operator asks for when creating a schedule (the HTTP body, parsed). */
export interface ScheduleRequest {
  readonly cron?: string | undefined;
  /** The zone the cron expression is read in; default `UTC`. Cron only. */
  readonly timezone?: string | undefined;
  /** An ISO-8601 duration (`PT10M`), at least `PT1S`. */
  readonly interval?: string | undefined;
  readonly input: unknown;
  /** Default `skip`. */
  readonly missedFirePolicy?: MissedFirePolicy | undefined;
  readonly idempotencyKeyPrefix?: string | undefined;
  readonly paused?: boolean | undefined;
}

/** A schedule and the slots it fires at next: the view the API answers. */
export interface ScheduleView {
  readonly schedule: ScheduleRecord;
  /** Up to three slots from the next one on (epoch ms); none while paused. */
  readonly nextFireTimesMs: readonly number[];
}

export interface SchedulesDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly catalog: ReleaseCatalog;
  /** Told the next slot of a schedule just created or resumed, so this node's pass comes by then. */
  readonly onNextSlot: (atMs: number) => void;
}

/** The slot clock of a stored schedule (its timing was checked when it was created). */
export function slotClockOfSchedule(s: ScheduleRecord): SlotClock {
  return s.cron !== null
    ? slotClockOf({ cron: s.cron, timezone: s.timezone ?? 'UTC' }, s.createdAtMs)
    : slotClockOf({ intervalMs: s.intervalMs ?? 0 }, s.createdAtMs);
}

/**
 * The operator's side of schedules (docs/schedules.md): create, list, show, pause, resume and
 * delete. Firing is the maintenance leader's (`schedule-firing.ts`).
 */
export class Schedules {
  readonly #d: SchedulesDeps;

  constructor(deps: SchedulesDeps) {
    this.#d = deps;
  }

  /**
   * Creates a schedule of a known pipeline: `pipeline_not_found` when no release of it is
   * registered, `schedule_invalid` for a timing that cannot be, `invalid_input` for an input the
   * active release refuses (with none active yet, the input is checked at each fire).
   */
  async create(tenantId: string, pipelineId: string, request: ScheduleRequest): Promise<ScheduleView> {
    const { store, clock } = this.#d;
    await this.#knownPipeline(tenantId, pipelineId);
    const nowMs = clock.now();
    const timing = timingOf(request);
    let slots: SlotClock;
    try {
      slots = slotClockOf(timing, nowMs);
    } catch (error) {
      throw invalid(error);
    }
    const nextFireAtMs = slots.next(nowMs);
    if (nextFireAtMs >= NEVER_MS)
      throw new CapstanError('schedule_invalid', `'${timing.cron ?? ''}' matches no instant to come.`, {
        field: 'cron',
      });
    const active = await this.#d.catalog.active(tenantId, pipelineId);
    if (active) {
      const validate = this.#d.catalog.validators(active.contract).input;
      if (!validate(request.input))
        throw new CapstanError('invalid_input', undefined, { issues: schemaIssues(validate) });
    }
    const policy = request.missedFirePolicy ?? { kind: 'skip' };
    if (policy.kind === 'catch_up' && !(policy.limit >= 1 && policy.limit <= MAX_CATCH_UP_LIMIT))
      throw new CapstanError('schedule_invalid', `catchUp.limit is from 1 to ${MAX_CATCH_UP_LIMIT}.`, {
        field: 'missedFirePolicy',
      });
    const schedule: ScheduleRecord = {
      tenantId,
      scheduleId: this.#d.random.uuid(),
      pipelineId,
      cron: timing.cron ?? null,
      timezone: timing.cron !== undefined ? timing.timezone : null,
      intervalMs: timing.cron === undefined ? timing.intervalMs : null,
      input: request.input,
      missedFirePolicy: policy,
      idempotencyKeyPrefix: request.idempotencyKeyPrefix ?? null,
      paused: request.paused ?? false,
      nextFireAtMs,
      firedCount: 0,
      lastSlotAtMs: null,
      lastExecutionId: null,
      lastFiredAtMs: null,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAtMs: null,
      version: 1,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    await store.createSchedule(schedule);
    if (!schedule.paused) this.#d.onNextSlot(nextFireAtMs);
    return this.view(schedule);
  }

  /** A tenant's schedules, of one pipeline (which must be known) or of all. */
  async list(tenantId: string, pipelineId: string | undefined): Promise<ScheduleView[]> {
    if (pipelineId !== undefined) await this.#knownPipeline(tenantId, pipelineId);
    return (await this.#d.store.listSchedules(tenantId, pipelineId)).map((s) => this.view(s));
  }

  async get(tenantId: string, scheduleId: string): Promise<ScheduleView> {
    const schedule = await this.#d.store.getSchedule(tenantId, scheduleId);
    if (!schedule) throw new CapstanError('schedule_not_found');
    return this.view(schedule);
  }

  /** Pauses or resumes; a schedule already so is answered as it is. */
  async setPaused(tenantId: string, scheduleId: string, paused: boolean): Promise<ScheduleView> {
    const schedule = await this.#d.store.setSchedulePaused({
      tenantId,
      scheduleId,
      paused,
      nowMs: this.#d.clock.now(),
    });
    if (!schedule) throw new CapstanError('schedule_not_found');
    if (!schedule.paused) this.#d.onNextSlot(schedule.nextFireAtMs);
    return this.view(schedule);
  }

  /** Deletes a schedule; its executions stay. Answers it as it was. */
  async delete(tenantId: string, scheduleId: string): Promise<ScheduleView> {
    const schedule = await this.#d.store.deleteSchedule(tenantId, scheduleId);
    if (!schedule) throw new CapstanError('schedule_not_found');
    return { schedule, nextFireTimesMs: [] };
  }

  view(schedule: ScheduleRecord): ScheduleView {
    return {
      schedule,
      nextFireTimesMs: schedule.paused
        ? []
        : upcomingSlots(slotClockOfSchedule(schedule), schedule.nextFireAtMs, 3),
    };
  }

  async #knownPipeline(tenantId: string, pipelineId: string): Promise<void> {
    // As on submit: a pipeline is known once any release of it is registered.
    if ((await this.#d.store.listReleases(tenantId, pipelineId)).length === 0)
      throw new CapstanError('pipeline_not_found', `No release of pipeline '${pipelineId}' is registered.`, {
        pipelineId,
      });
  }
}

/** The request's timing: exactly one of cron and interval; a zone for cron only. */
function timingOf(
  r: ScheduleRequest,
): { cron: string; timezone: string; intervalMs?: undefined } | { intervalMs: number; cron?: undefined } {
  if ((r.cron === undefined) === (r.interval === undefined))
    throw new CapstanError('schedule_invalid', 'Give exactly one of cron or interval.', {
      field: r.cron === undefined ? 'cron' : 'interval',
    });
  if (r.cron !== undefined) return { cron: r.cron.trim(), timezone: r.timezone ?? 'UTC' };
  if (r.timezone !== undefined)
    throw new CapstanError('schedule_invalid', 'A timezone applies to a cron schedule only.', {
      field: 'timezone',
    });
  const intervalMs = parseIsoDuration(r.interval ?? '');
  if (intervalMs === undefined)
    throw new CapstanError(
      'schedule_invalid',
      `'${r.interval ?? ''}' is not an ISO-8601 duration of days, hours, minutes and seconds (PT10M).`,
      { field: 'interval' },
    );
  return { intervalMs };
}

function invalid(error: unknown): unknown {
  return error instanceof InvalidScheduleError
    ? new CapstanError('schedule_invalid', `${error.message}.`, { field: error.field })
    : error;
}
