import { planSlots, type SlotStep } from '../domain/missed-fire.ts';
import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import { slotExecutionKey, type ScheduleRecord } from '../store/schedule-records.ts';
import type { AdvanceScheduleCommand, LeaderFence, Store } from '../store/store-port.ts';
import { fingerprint } from '../util/canonical-json.ts';
import type { ExecutionRecord } from '../store/records.ts';
import { slotClockOfSchedule } from './schedules.ts';

/**
 * How one move of a schedule ended, as `capstan_schedule_fires_total` counts it: `fired` (an
 * execution started), `duplicate` (the slot's key already named one), `skipped` (missed slots
 * passed over by the policy; one count per move, however many slots), `no_active_release`,
 * `invalid_input` and `idempotency_conflict` (the slot was taken without an execution), `lost`
 * (another leader, a pause, a delete got there first: nothing written).
 */
export type ScheduleFireOutcome =
  'fired' | 'duplicate' | 'skipped' | 'no_active_release' | 'invalid_input' | 'idempotency_conflict' | 'lost';

export interface ScheduleFiringDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly catalog: ReleaseCatalog;
  /** How late a slot may fire and still count as on time (`capstan.schedules.misfire-grace`). */
  readonly misfireGraceMs: number;
  /** The most moves one pass makes, across every schedule (the sweep limit). */
  readonly limit: number;
  readonly onOutcome: (schedule: ScheduleRecord, outcome: ScheduleFireOutcome) => void;
  /** A new execution the pass started. */
  readonly onSubmitted: (execution: ExecutionRecord) => void;
}

/**
 * The maintenance leader's schedule work in one pass: each due schedule is brought up to date
 * (`planSlots`: its missed slots as its policy says, then every slot on time), one guarded move
 * per slot, each firing its execution in the move's transaction under the leader's fence. A
 * move refused (`lost`) ends that schedule's turn: the next pass plans again from what the store
 * holds. At most `limit` moves per pass, so a long backlog drains over several passes.
 *
 * Returns how many executions it started.
 */
export async function fireDueSchedules(d: ScheduleFiringDeps, leader: LeaderFence): Promise<number> {
  let budget = d.limit;
  let started = 0;
  for (const schedule of await d.store.findDueSchedules(d.clock.now(), d.limit)) {
    if (budget <= 0) break;
    const steps = planSlots({
      clock: slotClockOfSchedule(schedule),
      policy: schedule.missedFirePolicy,
      nextFireAtMs: schedule.nextFireAtMs,
      nowMs: d.clock.now(),
      graceMs: d.misfireGraceMs,
      limit: budget,
    });
    let expected = schedule.nextFireAtMs;
    for (const step of steps) {
      budget--;
      const outcome = await move(d, leader, schedule, expected, step);
      if (step.skips && outcome !== 'lost') d.onOutcome(schedule, 'skipped');
      if (step.fireSlotMs !== undefined || outcome === 'lost') d.onOutcome(schedule, outcome);
      if (outcome === 'fired') started++;
      if (outcome === 'lost') break;
      expected = step.nextFireAtMs;
    }
  }
  return started;
}

/** One step: the slot's execution built (or why it cannot be), then the guarded move. */
async function move(
  d: ScheduleFiringDeps,
  leader: LeaderFence,
  schedule: ScheduleRecord,
  expectedNextFireAtMs: number,
  step: SlotStep,
): Promise<ScheduleFireOutcome> {
  const nowMs = d.clock.now();
  const base = {
    leader,
    tenantId: schedule.tenantId,
    scheduleId: schedule.scheduleId,
    expectedNextFireAtMs,
    nextFireAtMs: step.nextFireAtMs,
    nowMs,
  };
  if (step.fireSlotMs === undefined) return outcomeOf(await d.store.advanceSchedule(base), d);
  const fire = await slotSubmit(d, schedule, step.fireSlotMs, nowMs);
  const command: AdvanceScheduleCommand =
    'error' in fire ? { ...base, error: fire.error } : { ...base, fire };
  const outcome = await d.store.advanceSchedule(command);
  if (outcome.kind === 'advanced' && 'error' in fire) return fire.error.code;
  return outcomeOf(outcome, d);
}

function outcomeOf(
  outcome: Awaited<ReturnType<Store['advanceSchedule']>>,
  d: ScheduleFiringDeps,
): ScheduleFireOutcome {
  switch (outcome.kind) {
    case 'lost':
      return 'lost';
    case 'advanced':
      return 'skipped';
    case 'conflict':
      return 'idempotency_conflict';
    case 'fired':
      if (outcome.duplicate) return 'duplicate';
      d.onSubmitted(outcome.execution);
      return 'fired';
  }
}

/**
 * The slot's execution as a submit would make it, pinned to the pipeline's active release: or,
 * when it cannot start one (no release is active, the active one refuses the input), why.
 * No worker need host the release now: the execution waits, durable, until one does.
 */
async function slotSubmit(
  d: ScheduleFiringDeps,
  schedule: ScheduleRecord,
  slotMs: number,
  nowMs: number,
): Promise<
  | { slotMs: number; submit: NonNullable<AdvanceScheduleCommand['fire']>['submit'] }
  | { error: { code: 'no_active_release' | 'invalid_input'; message: string } }
> {
  const release = await d.catalog.active(schedule.tenantId, schedule.pipelineId);
  if (!release)
    return {
      error: {
        code: 'no_active_release',
        message: `no release of '${schedule.pipelineId}' is active: slot ${new Date(slotMs).toISOString()} started nothing`,
      },
    };
  if (!d.catalog.validators(release.contract).input(schedule.input))
    return {
      error: {
        code: 'invalid_input',
        message: `release ${release.releaseVersion} refuses the schedule's input: slot ${new Date(slotMs).toISOString()} started nothing`,
      },
    };
  return {
    slotMs,
    submit: {
      tenantId: schedule.tenantId,
      executionId: d.random.uuid(),
      pipelineId: schedule.pipelineId,
      contractVersion: release.contractVersion,
      releaseVersion: release.releaseVersion,
      executionKey: slotExecutionKey(schedule, slotMs),
      inputFingerprint: fingerprint(schedule.input),
      input: schedule.input,
      scheduleId: schedule.scheduleId,
      nowMs,
    },
  };
}
