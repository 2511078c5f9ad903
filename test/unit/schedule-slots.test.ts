// The pure rules of schedules: slot clocks (interval arithmetic, cron through croner in a time
// zone) and the missed-fire plan that brings a due schedule up to date.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSlots, type MissedFirePolicy } from '../../src/domain/missed-fire.ts';
import {
  cronClock,
  intervalClock,
  InvalidScheduleError,
  NEVER_MS,
  upcomingSlots,
} from '../../src/domain/schedule-slots.ts';
import { formatIsoDuration, parseIsoDuration } from '../../src/util/iso-duration.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);

test('interval slots are anchor + k × interval, k ≥ 1: next and previous are exclusive', () => {
  const clock = intervalClock(T0, MINUTE);
  assert.equal(clock.next(T0 - 5 * MINUTE), T0 + MINUTE, 'before the anchor: the first slot');
  assert.equal(clock.next(T0), T0 + MINUTE);
  assert.equal(clock.next(T0 + MINUTE), T0 + 2 * MINUTE, 'strictly after');
  assert.equal(clock.next(T0 + MINUTE - 1), T0 + MINUTE);
  assert.deepEqual(clock.previous(3, T0 + 3 * MINUTE), [T0 + 2 * MINUTE, T0 + MINUTE], 'never the anchor');
  assert.deepEqual(clock.previous(2, T0 + 10 * MINUTE + 1), [T0 + 10 * MINUTE, T0 + 9 * MINUTE]);
  // A year of one-second slots is crossed by arithmetic, not by walking it.
  const seconds = intervalClock(T0, 1000);
  assert.equal(seconds.next(T0 + 365 * 86_400_000 + 1), T0 + 365 * 86_400_000 + 1000);
  assert.throws(() => intervalClock(T0, 999), InvalidScheduleError);
  assert.deepEqual(
    upcomingSlots(clock, T0 + MINUTE, 3),
    [1, 2, 3].map((m) => T0 + m * MINUTE),
  );
});

test('cron slots follow croner in their time zone, across a daylight-saving change', () => {
  const everyFive = cronClock('*/5 * * * *', 'UTC');
  assert.equal(everyFive.next(at('2026-01-01T00:02:00Z')), at('2026-01-01T00:05:00Z'));
  assert.equal(everyFive.next(at('2026-01-01T00:05:00Z')), at('2026-01-01T00:10:00Z'));
  assert.deepEqual(everyFive.previous(2, at('2026-01-01T00:10:00Z')), [
    at('2026-01-01T00:05:00Z'),
    at('2026-01-01T00:00:00Z'),
  ]);
  const withSeconds = cronClock('*/10 * * * * *', 'UTC');
  assert.equal(withSeconds.next(T0), T0 + 10_000, 'six fields: seconds first');
  // 02:30 in Berlin is 01:30Z in winter and 00:30Z in summer (the clocks go forward on 29 March).
  const berlin = cronClock('30 2 * * *', 'Europe/Berlin');
  assert.equal(berlin.next(at('2026-01-01T00:00:00Z')), at('2026-01-01T01:30:00Z'));
  assert.equal(berlin.next(at('2026-04-01T00:00:00Z')), at('2026-04-01T00:30:00Z'));
  assert.equal(cronClock('0 0 29 2 *', 'UTC').next(T0), at('2028-02-29T00:00:00Z'), 'the next leap day');
  assert.equal(cronClock('0 0 30 2 *', 'UTC').next(T0), NEVER_MS, 'February 30th never comes');
  for (const [expression, zone, field] of [
    ['61 * * * *', 'UTC', 'cron'],
    ['* * *', 'UTC', 'cron'],
    ['* * * * *', 'Mars/Olympus', 'timezone'],
  ] as const)
    assert.throws(
      () => cronClock(expression, zone),
      (e: unknown) => e instanceof InvalidScheduleError && e.field === field,
    );
});

test('intervals are written back as they read', () => {
  for (const text of ['PT1S', 'PT10M', 'PT1H30M', 'P1D', 'P1DT2H', 'PT0.5S', 'PT1M30.25S'])
    assert.equal(formatIsoDuration(parseIsoDuration(text) ?? -1), text);
  assert.equal(formatIsoDuration(0), 'PT0S');
});

/** The plan for an interval-of-a-minute schedule from slot `fromMinute`, `nowMinute` minutes after T0. */
const plan = (policy: MissedFirePolicy, fromMinute: number, nowMinute: number, limit = 100) =>
  planSlots({
    clock: intervalClock(T0, MINUTE),
    policy,
    nextFireAtMs: T0 + fromMinute * MINUTE,
    nowMs: T0 + nowMinute * MINUTE,
    graceMs: MINUTE,
    limit,
  }).map((s) => ({
    fire: s.fireSlotMs === undefined ? null : (s.fireSlotMs - T0) / MINUTE,
    next: (s.nextFireAtMs - T0) / MINUTE,
    skips: s.skips,
  }));

test('on time: every slot due fires, each move to the next slot', () => {
  const skip = { kind: 'skip' } as const;
  assert.deepEqual(plan(skip, 3, 2.5), [], 'not due yet');
  assert.deepEqual(plan(skip, 3, 3), [{ fire: 3, next: 4, skips: false }]);
  assert.deepEqual(
    plan(skip, 3, 4),
    [
      { fire: 3, next: 4, skips: false },
      { fire: 4, next: 5, skips: false },
    ],
    'slot 3, late by exactly the grace, is still on time',
  );
  assert.deepEqual(plan(skip, 3, 4.5), [
    { fire: null, next: 4, skips: true },
    { fire: 4, next: 5, skips: false },
  ]);
});

test('missed slots (later than the grace) go by the policy; the slots on time fire', () => {
  // From slot 1, at minute 10.5: slots 1..9 are missed, slot 10 is on time.
  assert.deepEqual(plan({ kind: 'skip' }, 1, 10.5), [
    { fire: null, next: 10, skips: true },
    { fire: 10, next: 11, skips: false },
  ]);
  assert.deepEqual(plan({ kind: 'fire_once' }, 1, 10.5), [
    { fire: 9, next: 10, skips: true },
    { fire: 10, next: 11, skips: false },
  ]);
  assert.deepEqual(plan({ kind: 'catch_up', limit: 2 }, 1, 10.5), [
    { fire: 8, next: 9, skips: true },
    { fire: 9, next: 10, skips: false },
    { fire: 10, next: 11, skips: false },
  ]);
  assert.deepEqual(
    plan({ kind: 'catch_up', limit: 20 }, 8, 10.5).map((s) => s.fire),
    [8, 9, 10],
    'fewer missed than the limit: all of them, skipping none',
  );
  assert.deepEqual(plan({ kind: 'skip' }, 1, 20.5).at(-1), { fire: 20, next: 21, skips: false });
});

test('the limit cuts a plan short from the oldest slot; the next plan goes on from there', () => {
  const catchUp = { kind: 'catch_up', limit: 5 } as const;
  // Missed 1..9, keep the latest 5 (5..9): the first pass fires 5 and 6 only.
  assert.deepEqual(plan(catchUp, 1, 10.5, 2), [
    { fire: 5, next: 6, skips: true },
    { fire: 6, next: 7, skips: false },
  ]);
  assert.deepEqual(
    plan(catchUp, 7, 10.5, 2).map((s) => s.fire),
    [7, 8],
  );
  assert.deepEqual(
    plan(catchUp, 9, 10.5, 2).map((s) => s.fire),
    [9, 10],
  );
  assert.deepEqual(plan({ kind: 'skip' }, 1, 10.5, 0), [], 'no budget, no plan');
});
