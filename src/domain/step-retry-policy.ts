import type { StepRetryPolicy } from '../sdk/step-retry.ts';
import type { RetryPolicy } from './retry-policy.ts';

/**
 * The policy a step is retried by: the coordinator's, with whatever the step set for itself
 * (`.step(id, { retry })`, carried by the pipeline contract) in its place. Jitter stays global;
 * a step's delay longer than the global `retry-max-delay` raises the cap to it, unless the step
 * sets its own `maxDelay`.
 */
export function effectiveRetryPolicy(global: RetryPolicy, step: StepRetryPolicy | undefined): RetryPolicy {
  if (step === undefined) return global;
  return {
    maxRetries: step.maxRetries ?? global.maxRetries,
    retryDelayMs: step.delayMs ?? global.retryDelayMs,
    retryMultiplier: step.multiplier ?? global.retryMultiplier,
    // A step's own delay longer than the global cap is meant: the cap grows to it.
    retryMaxDelayMs: step.maxDelayMs ?? Math.max(global.retryMaxDelayMs, step.delayMs ?? 0),
    jitter: global.jitter,
  };
}
