/** Wall-clock time in epoch milliseconds. Injected everywhere so tests and the simulation tier control time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
