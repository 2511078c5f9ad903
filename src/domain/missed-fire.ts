import { NEVER_MS, type SlotClock } from './schedule-slots.ts';

/**
 * What becomes of a schedule's **missed** slots: slots that passed more than the misfire grace
 * ago without being fired (the maintenance leader was down, or the schedule paused). Slots
 * late by less than the grace are on time and always fire.
 *
 * - `skip`: none of them fires; the schedule goes on at its next slot on time or to come.
 * - `fire_once`: the latest of them fires, once, for all of them; the rest are skipped.
 * - `catch_up`: the latest `limit` of them fire, oldest first; earlier ones are skipped.
 *   `fire_once` is `catch_up` with a limit of 1.
 */
export type MissedFirePolicy =
  | { readonly kind: 'skip' }
  | { readonly kind: 'fire_once' }
  | { readonly kind: 'catch_up'; readonly limit: number };

/** The most missed slots a `catch_up` policy may fire. */
export const MAX_CATCH_UP_LIMIT = 1000;

/**
 * One move of a schedule's next slot, from where the previous move (or the store) left it to
 * `nextFireAtMs`, firing `fireSlotMs` on the way, or nothing (the slots in between are skipped).
 */
export interface SlotStep {
  readonly fireSlotMs: number | undefined;
  readonly nextFireAtMs: number;
  /** True when the move passes over missed slots without firing them. */
  readonly skips: boolean;
}

export interface SlotPlanInput {
  readonly clock: SlotClock;
  readonly policy: MissedFirePolicy;
  /** The schedule's next slot not yet fired or skipped, as stored. */
  readonly nextFireAtMs: number;
  readonly nowMs: number;
  /** How late a slot may be and still count as on time. */
  readonly graceMs: number;
  /** The most steps to plan (the pass's sweep limit): the rest waits for the next pass. */
  readonly limit: number;
}

/**
 * The steps that bring a due schedule up to date at `nowMs`: missed slots as the policy says,
 * then every slot on time, in slot order, at most `limit` steps. Each step's slot follows the
 * previous one's, so applying them in order, each a guarded move from the previous position,
 * fires every slot at most once; a plan cut short by the limit, or a step refused (another
 * writer moved the schedule), is planned again from the stored position at the next pass.
 */
export function planSlots(p: SlotPlanInput): SlotStep[] {
  const { clock, nowMs } = p;
  if (p.nextFireAtMs > nowMs || p.limit <= 0) return [];
  const steps: SlotStep[] = [];
  const onTimeFrom = nowMs - p.graceMs;
  let firstOnTime = p.nextFireAtMs;
  if (p.nextFireAtMs < onTimeFrom) {
    const keep = p.policy.kind === 'skip' ? 0 : p.policy.kind === 'fire_once' ? 1 : p.policy.limit;
    // The latest `keep` of them, whatever the limit: a pass cut short fires the oldest of those,
    // and the next pass, planning from there, finds the rest still among the latest `keep`.
    const missed = clock
      .previous(keep, onTimeFrom)
      .filter((slot) => slot >= p.nextFireAtMs)
      .reverse();
    missed.forEach((slot, i) =>
      steps.push({
        fireSlotMs: slot,
        nextFireAtMs: clock.next(slot),
        // The first one fired passes over every missed slot before it.
        skips: i === 0 && slot > p.nextFireAtMs,
      }),
    );
    firstOnTime = clock.next(onTimeFrom - 1);
    if (missed.length === 0) steps.push({ fireSlotMs: undefined, nextFireAtMs: firstOnTime, skips: true });
    // Cut short by the limit: the rest of the missed slots wait for the next pass.
    if (missed.length > 0 && missed.length >= p.limit) return steps.slice(0, p.limit);
  }
  for (let slot = firstOnTime; slot <= nowMs && slot < NEVER_MS && steps.length < p.limit;) {
    const next = clock.next(slot);
    steps.push({ fireSlotMs: slot, nextFireAtMs: next, skips: false });
    slot = next;
  }
  return steps;
}
