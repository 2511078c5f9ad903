import { Cron } from 'croner';

/**
 * The instants a schedule fires at, its **slots** (epoch ms): every match of a cron expression
 * in a time zone, or `anchor + k × interval` for k ≥ 1. A slot is named by its instant, so the
 * same slot is the same slot on every node, and its execution's idempotency key derives from it.
 */
export interface SlotClock {
  /** The first slot strictly after `afterMs`, or `NEVER_MS` when there is none. */
  next(afterMs: number): number;
  /** Up to `count` slots strictly before `beforeMs`, the latest first. */
  previous(count: number, beforeMs: number): number[];
}

/** Where a schedule with no slot left points its next slot: far past any real instant. */
export const NEVER_MS = 253_402_300_799_000; // 9999-12-31T23:59:59Z

/** The shortest interval between two slots of an interval schedule. */
export const MIN_INTERVAL_MS = 1000;

/** A schedule that cannot be: its cron, time zone or interval does not parse, or it never fires. */
export class InvalidScheduleError extends Error {
  /** The request field at fault (`cron`, `timezone`, `interval`). */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'InvalidScheduleError';
    this.field = field;
  }
}

/** Slots `anchorMs + k × intervalMs`, k ≥ 1: plain arithmetic, so a long pause costs nothing to cross. */
export function intervalClock(anchorMs: number, intervalMs: number): SlotClock {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS)
    throw new InvalidScheduleError('interval', `an interval is at least ${MIN_INTERVAL_MS / 1000} s`);
  const slot = (k: number) => anchorMs + k * intervalMs;
  return {
    next: (afterMs) => slot(Math.max(1, Math.floor((afterMs - anchorMs) / intervalMs) + 1)),
    previous: (count, beforeMs) => {
      const slots: number[] = [];
      // The largest k whose slot is strictly before `beforeMs`.
      for (let k = Math.ceil((beforeMs - anchorMs) / intervalMs) - 1; k >= 1 && slots.length < count; k--)
        slots.push(slot(k));
      return slots;
    },
  };
}

/** Throws unless `timezone` is an IANA zone this runtime knows (`UTC`, `Europe/Berlin`). */
export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidScheduleError(
      'timezone',
      `'${timezone}' is not an IANA time zone (e.g. UTC, Europe/Berlin)`,
    );
  }
}

/**
 * The matches of a cron expression in `timezone`, read by croner: five fields (minute, hour,
 * day of month, month, day of week) or six with seconds first, and croner's nicknames
 * (`@daily`, `@hourly`…). Daylight-saving gaps and repeats are croner's rules.
 */
export function cronClock(expression: string, timezone: string): SlotClock {
  checkTimezone(timezone);
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    throw new InvalidScheduleError('cron', `'${expression}' is not a cron expression: ${reason}`);
  }
  return {
    next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() ?? NEVER_MS,
    previous: (count, beforeMs) =>
      count <= 0 ? [] : cron.previousRuns(count, new Date(beforeMs)).map((d) => d.getTime()),
  };
}

/** How a schedule says when it fires: a cron expression (with its zone) or an interval. */
export type ScheduleTiming =
  | { readonly cron: string; readonly timezone: string; readonly intervalMs?: undefined }
  | { readonly intervalMs: number; readonly cron?: undefined };

/** The slot clock of a timing; interval slots count from `anchorMs` (the schedule's creation). */
export function slotClockOf(timing: ScheduleTiming, anchorMs: number): SlotClock {
  return timing.cron !== undefined
    ? cronClock(timing.cron, timing.timezone)
    : intervalClock(anchorMs, timing.intervalMs);
}

/** Up to `count` slots from `fromMs` on (`fromMs` itself when it is a slot), for showing what comes next. */
export function upcomingSlots(clock: SlotClock, fromMs: number, count: number): number[] {
  const slots: number[] = [];
  for (let at = clock.next(fromMs - 1); at < NEVER_MS && slots.length < count; at = clock.next(at))
    slots.push(at);
  return slots;
}
