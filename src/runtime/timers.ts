/** An opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * Scheduling of callbacks. Every background loop in Capstan schedules through this port,
 * never through the global `setTimeout`, so a test or a simulation can fire timers by hand.
 */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
