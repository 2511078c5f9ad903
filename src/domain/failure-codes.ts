/**
 * The failure codes Capstan itself records on an execution (`error_code`, and the `errorCode`
 * of its journal events and dead letters), named once. Step code reports codes of its own;
 * these are the ones the coordinator and its workers write. HTTP error codes are another
 * vocabulary: they live in the error catalogue (`errors/catalog.ts`).
 */
export const FailureCode = {
  /** The maintenance leader took back a lease that ran out (holder lost); retryable, may have acted. */
  LEASE_EXPIRED: 'lease_expired',
  /** The dispatcher could not reach the remote worker; nothing ran, no attempt spent; retried. */
  WORKER_UNREACHABLE: 'worker_unreachable',
  /** The worker refused the segment before running it (identity mismatch); nothing ran; retried. */
  DISPATCH_REFUSED: 'dispatch_refused',
  /** The dispatcher: an in-process worker threw instead of answering; retryable. */
  WORKER_ERROR: 'worker_error',
  /** The dispatcher: a remote try may have acted but its outcome never came back; retried or DLQ by policy. */
  REMOTE_OUTCOME_UNKNOWN: 'REMOTE_OUTCOME_UNKNOWN',
  /** The segment runner: a step did not finish within its timeout; retryable. */
  STEP_TIMEOUT: 'step_timeout',
  /** A remote transition worker: its answer does not fit the segment, so nothing of it is committed; retryable. */
  WORKER_RESULT_INVALID: 'worker_result_invalid',
  /** The maintenance leader: an await interaction's deadline passed; not retryable (DLQ or FAILED). */
  AWAIT_TIMEOUT: 'await_timeout',
  /** The segment runner: a step's input does not match its schema; not retryable. */
  INPUT_INVALID: 'input_invalid',
  /** The segment runner: a step's output does not match its schema; not retryable. */
  OUTPUT_INVALID: 'output_invalid',
  /** The segment runner: step code threw a schema error of its own (zod); not retryable. */
  SCHEMA_VIOLATION: 'schema_violation',
  /** The dispatcher: an `expand` step made more items than `capstan.items.max-per-execution`; not retryable (DLQ). */
  ITEMS_LIMIT_EXCEEDED: 'items_limit_exceeded',
} as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

/** The message a reclaimed lease's failure records (what its fingerprint is taken over). */
export const LEASE_EXPIRED_MESSAGE =
  'The lease expired before the segment reported an outcome (worker or coordinator lost).';

/** The message an await deadline's failure records. */
export const awaitTimeoutMessage = (interactionId: string): string =>
  `Await interaction timed out: ${interactionId}`;
