/**
 * The execution state machine.
 *
 * - QUEUED: due now (or at `nextDueAtMs`); waiting to be claimed. Entered on submit, on an
 *   await completion (at `awaitStepIndex + 1`), on re-drive, and when an expired lease is reclaimed.
 * - RUNNING: claimed under a lease with a fresh fencing epoch; a worker is running a segment.
 *   Only the holder of that epoch may commit step checkpoints or the segment's outcome.
 * - WAITING_EXTERNAL: parked at an await step; one open await unit and its interactions exist.
 *   Left by a completion (→ QUEUED), a deadline (→ DLQ `await_timeout`) or cancel.
 * - WAITING_ITEMS: a parent whose `expand` step made its items (child executions, docs/items.md);
 *   left when the last item is terminal (→ QUEUED at the aggregate step) or by cancel.
 * - WAIT_RETRY: a retryable failure; due again at `nextDueAtMs` with `attempt + 1`.
 * - SUCCEEDED: terminal; the result is stored.
 * - DLQ: terminal until re-driven; `dlqReason`, `errorCode`, `errorMessage` say why, and a DLQ
 *   publication went through the outbox in the same transaction.
 * - FAILED: terminal failure that skips the DLQ (DLQ disabled, or the step says `dlq: false`);
 *   re-drivable only with `allowFailed`.
 * - CANCELLED: terminal; the epoch was bumped so an in-flight worker's result is refused.
 */
export const ExecutionStatus = {
  QUEUED: 'QUEUED',
  RUNNING: 'RUNNING',
  WAITING_EXTERNAL: 'WAITING_EXTERNAL',
  WAIT_RETRY: 'WAIT_RETRY',
  WAITING_ITEMS: 'WAITING_ITEMS',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  DLQ: 'DLQ',
  CANCELLED: 'CANCELLED',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'DLQ', 'CANCELLED'];

export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Terminal, or parked waiting for the outside world: what a result long-poll waits for. */
export function isSettled(status: ExecutionStatus): boolean {
  return isTerminal(status) || status === 'WAITING_EXTERNAL';
}

/** Why an execution went to the DLQ. */
export const DlqReason = {
  RETRY_EXHAUSTED: 'retry_exhausted',
  NON_RETRYABLE: 'non_retryable',
  AWAIT_TIMEOUT: 'await_timeout',
  REMOTE_OUTCOME_UNKNOWN: 'remote_outcome_unknown',
  LEASE_LOST_EXHAUSTED: 'lease_lost_exhausted',
} as const;
export type DlqReason = (typeof DlqReason)[keyof typeof DlqReason];

/**
 * Interaction states. WAITING while open (its request is out, its deadline runs);
 * ADMISSION_WAITING while an await admission budget holds it back (no request out, no deadline
 * yet, not completable; see docs/await-admission.md); COMPLETED, TIMED_OUT and CANCELLED are
 * terminal.
 */
export const InteractionStatus = {
  ADMISSION_WAITING: 'ADMISSION_WAITING',
  WAITING: 'WAITING',
  COMPLETED: 'COMPLETED',
  TIMED_OUT: 'TIMED_OUT',
  CANCELLED: 'CANCELLED',
} as const;
export type InteractionStatus = (typeof InteractionStatus)[keyof typeof InteractionStatus];
