import type { Timers } from '../runtime/timers.ts';
import { FailureCode } from '../domain/failure-codes.ts';

/** How one bounded call ended. */
export type BoundedOutcome =
  | { readonly kind: 'done'; readonly value: unknown }
  | { readonly kind: 'threw'; readonly error: unknown }
  /** The segment's signal was aborted (cancel, lost lease): the call's result no longer matters. */
  | { readonly kind: 'aborted' }
  | { readonly kind: 'timed_out' };

/** The reason a step's signal carries when its timeout passed. */
export class StepTimeoutError extends Error {
  readonly code = FailureCode.STEP_TIMEOUT;
  constructor(message: string) {
    super(message);
    this.name = 'StepTimeoutError';
  }
}

/**
 * The signal a segment's steps get: aborted with the segment's (cancel, lost lease) or by a
 * step's timeout. One per segment, not per step: a timed-out step ends its segment, so no later
 * step of it ever sees this signal aborted. Forwarded by hand, not with `AbortSignal.any`, which
 * keeps each combined signal alive until a GC.
 */
export function stepSignalOf(segment: AbortSignal): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  const forward = (): void => controller.abort(segment.reason);
  if (segment.aborted) forward();
  else segment.addEventListener('abort', forward, { once: true });
  return { controller, release: () => segment.removeEventListener('abort', forward) };
}

/**
 * Runs a step's code, but waits for it only until the segment is aborted or the timeout
 * passes: a step that never settles must not hold its slot (and have its lease renewed)
 * forever. The code gets `step.signal`, which fires on either, so a cooperative step stops;
 * one that ignores it runs on unobserved, and whatever it returns later is dropped.
 */
export async function runBounded(
  call: (signal: AbortSignal) => unknown,
  o: { signal: AbortSignal; step: AbortController; timers: Timers; timeoutMs: number; what: string },
): Promise<BoundedOutcome> {
  if (o.signal.aborted) return { kind: 'aborted' };
  let onAbort: () => void = () => undefined;
  let timer: ReturnType<Timers['setTimeout']> | undefined;
  const stopped = new Promise<BoundedOutcome>((resolve) => {
    onAbort = () => resolve({ kind: 'aborted' });
    o.signal.addEventListener('abort', onAbort, { once: true });
    timer = o.timers.setTimeout(() => {
      // Settle first: a step that rejects at once on its abort must still count as timed out.
      resolve({ kind: 'timed_out' });
      o.step.abort(new StepTimeoutError(`${o.what} did not finish within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
  });
  const ran = Promise.resolve()
    .then(() => call(o.step.signal))
    .then(
      (value): BoundedOutcome => ({ kind: 'done', value }),
      (error: unknown): BoundedOutcome => ({ kind: 'threw', error }),
    );
  try {
    return await Promise.race([ran, stopped]);
  } finally {
    if (timer !== undefined) o.timers.clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
  }
}
