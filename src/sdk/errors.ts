/**
 * Marks every NonRetryableError, whichever copy of this module made it: a pipeline loaded from
 * a release artifact carries its own bundled copy of the SDK, and its errors must still be
 * recognised as final by the worker that runs it.
 */
const NON_RETRYABLE = Symbol.for('capstan.NonRetryableError');

/**
 * Throw from a step to fail it without retries: the execution goes to the DLQ (reason
 * `non_retryable`) at once. Any other error is retryable under the coordinator's retry policy.
 */
export class NonRetryableError extends Error {
  /** A stable code shown as the execution's `errorCode`. */
  readonly code: string;
  readonly [NON_RETRYABLE] = true;

  /** `instanceof` answers by the mark, so it holds across copies of the SDK. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && NON_RETRYABLE in value;
  }

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'NonRetryableError';
    this.code = options.code ?? 'non_retryable';
  }
}
