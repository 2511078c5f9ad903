/**
 * Throw from a step to fail it without retries: the execution goes to the DLQ (reason
 * `non_retryable`) at once. Any other error is retryable under the coordinator's retry policy.
 */
export class NonRetryableError extends Error {
  /** A stable code shown as the execution's `errorCode`. */
  readonly code: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'NonRetryableError';
    this.code = options.code ?? 'non_retryable';
  }
}
