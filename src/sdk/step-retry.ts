import { durationToMs, type Duration } from '../util/iso-duration.ts';

/**
 * A step's own retry policy, as written in `.step(id, { retry })`. Each field overrides the
 * coordinator's setting of the same name (`pipeline.orchestrator.max-retries`, `retry-delay`,
 * `retry-multiplier`, `retry-max-delay`); a field left out keeps the global value.
 */
export interface StepRetryOptions {
  /**
   * Retries after the first try: `maxRetries: 2` allows 3 tries of the step before the DLQ.
   * 0 sends the first retryable failure to the DLQ. Integer, 0 to 1000.
   */
  readonly maxRetries?: number;
  /** The wait before the first retry: ms or ISO-8601 (`'PT5S'`). */
  readonly delay?: Duration;
  /** Each further retry waits `multiplier` times longer (1 to 100; 1 keeps the delay fixed). */
  readonly multiplier?: number;
  /** The longest wait between two tries, however many came before: ms or ISO-8601. */
  readonly maxDelay?: Duration;
}

/** The same, in milliseconds: what the pipeline contract carries to the coordinator. */
export interface StepRetryPolicy {
  readonly maxRetries?: number;
  readonly delayMs?: number;
  readonly multiplier?: number;
  readonly maxDelayMs?: number;
}

const FIELDS: ReadonlySet<string> = new Set(['maxRetries', 'delay', 'multiplier', 'maxDelay']);

/**
 * Checks a step's `retry` option and turns its durations into ms. Throws at `definePipeline`
 * time, naming the step and the field, so a typo (`maxAttempts`) or a bad value never reaches
 * a running coordinator.
 */
export function stepRetryPolicy(options: StepRetryOptions, stepId: string): StepRetryPolicy {
  const what = `step ${stepId} retry`;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new Error(`${what}: expected an object such as { maxRetries: 3, delay: 'PT5S' }`);
  for (const key of Object.keys(options)) {
    if (!FIELDS.has(key))
      throw new Error(`${what}: unknown option '${key}'; the options are ${[...FIELDS].join(', ')}`);
  }
  const { maxRetries, delay, multiplier, maxDelay } = options;
  if (maxRetries !== undefined && !(Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= 1000))
    throw new Error(`${what}.maxRetries: ${String(maxRetries)} is not an integer from 0 to 1000`);
  if (
    multiplier !== undefined &&
    !(typeof multiplier === 'number' && Number.isFinite(multiplier) && multiplier >= 1 && multiplier <= 100)
  )
    throw new Error(`${what}.multiplier: ${String(multiplier)} is not a number from 1 to 100`);
  const delayMs = delay === undefined ? undefined : durationToMs(delay, `${what}.delay`);
  const maxDelayMs = maxDelay === undefined ? undefined : durationToMs(maxDelay, `${what}.maxDelay`);
  if (delayMs !== undefined && maxDelayMs !== undefined && maxDelayMs < delayMs)
    throw new Error(`${what}.maxDelay: ${maxDelayMs} ms is shorter than the delay (${delayMs} ms)`);
  return {
    ...(maxRetries === undefined ? {} : { maxRetries }),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(multiplier === undefined ? {} : { multiplier }),
    ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
  };
}
