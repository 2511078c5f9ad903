/**
 * Bounded waiting for tests: every wait for a condition has a deadline and fails with what it
 * waited for, so a regression fails the test instead of stalling the suite. Poll the state
 * the test cares about; never sleep a fixed time and hope.
 */

export interface WaitOptions {
  /** Give up after this long. Default 30 s. */
  readonly timeoutMs?: number;
  /** Poll this often. Default 50 ms. */
  readonly intervalMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value other than `undefined`, and returns it. A probe that
 * throws counts as not yet (the thing may not be up). Throws after the deadline.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}${cause}`);
    }
    await pause(options.intervalMs ?? 50);
  }
}

/** Polls `condition` until it holds; throws after the deadline. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  await eventually(what, async () => ((await condition()) ? true : undefined), options);
}
