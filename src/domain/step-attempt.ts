/**
 * A step's try number, which never repeats for one step of one execution. The execution row's
 * `attempt` counts the failed tries of the current step since its retry budget began: it is
 * what the retry policy compares with `maxRetries`, and a re-drive sets it back to 0 so the
 * step gets a fresh budget. So that the try after a re-drive is not numbered like a try before
 * it, the re-drive also records `attemptOffset`, the tries of that step before it, for the step
 * `attemptOffsetStep`; the try number is the offset plus `attempt` while the execution is on
 * that step (a later step starts at 0 and never had a re-drive).
 */
export interface AttemptCount {
  readonly stepIndex: number;
  readonly attempt: number;
  readonly attemptOffset: number;
  readonly attemptOffsetStep: number;
}

/** The try number of the current step: what `ctx.attempt` and the per-try key carry. */
export function stepAttemptOf(x: AttemptCount): number {
  return offsetOf(x) + x.attempt;
}

/**
 * The offset a re-drive records: every try of the current step so far, the last one (attempt
 * `attempt`) included, so the first try after the re-drive is numbered one past it.
 */
export function attemptOffsetAfterRedrive(x: AttemptCount): {
  attemptOffset: number;
  attemptOffsetStep: number;
} {
  return { attemptOffset: offsetOf(x) + x.attempt + 1, attemptOffsetStep: x.stepIndex };
}

function offsetOf(x: AttemptCount): number {
  return x.attemptOffsetStep === x.stepIndex ? x.attemptOffset : 0;
}
