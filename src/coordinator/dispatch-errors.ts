import { JournalEventType } from '../domain/journal-events.ts';
import { DISPATCH_ERRORS_BEFORE_PARKING, PARKED_DISPATCH_BASE, parkedFor } from '../domain/parking.ts';
import type { RetryPolicy } from '../domain/retry-policy.ts';
import type { ExecutionRecord } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';
import { FailureCode } from '../domain/failure-codes.ts';

/** The failure codes of a dispatch error: nothing ran, so no attempt is spent. */
export type DispatchErrorCode = typeof FailureCode.DISPATCH_REFUSED | typeof FailureCode.WORKER_UNREACHABLE;
const DISPATCH_ERROR_CODES: readonly string[] = [
  FailureCode.DISPATCH_REFUSED,
  FailureCode.WORKER_UNREACHABLE,
];

/** The dispatch errors just before this segment's claim: how many in a row, and the last wait. */
export interface DispatchHistory {
  /** Dispatch errors in a row, counted up to the parking bound. */
  readonly inARow: number;
  /** How long the last one made the execution wait (0 when there was none). */
  readonly lastDelayMs: number;
}

/**
 * Reads the end of the execution's journal: each dispatch error is an `attempt_started`
 * followed by a `retry_scheduled` with a dispatch error code. Anything else ends the run.
 */
export async function dispatchHistory(store: Store, x: ExecutionRecord): Promise<DispatchHistory> {
  const span = 2 * DISPATCH_ERRORS_BEFORE_PARKING + 1;
  const events = await store.readJournal(x.executionId, Math.max(0, x.version - span), span);
  let inARow = 0;
  let lastDelayMs = 0;
  // The last event is this segment's own `attempt_started`.
  for (let i = events.length - 2; i >= 1; i -= 2) {
    const failed = events[i];
    if (
      failed?.type !== JournalEventType.RETRY_SCHEDULED ||
      !DISPATCH_ERROR_CODES.includes(String(failed.data.errorCode)) ||
      events[i - 1]?.type !== JournalEventType.ATTEMPT_STARTED
    )
      break;
    if (inARow === 0) {
      const dueAtMs = Number(failed.data.dueAtMs);
      const notBeforeMs = parkedFor(dueAtMs)?.notBeforeMs ?? dueAtMs;
      lastDelayMs = Number.isFinite(notBeforeMs) ? Math.max(0, notBeforeMs - failed.atMs) : 0;
    }
    inARow++;
  }
  return { inARow, lastDelayMs };
}

/**
 * When the execution is due again after one more dispatch error: at once after a first
 * unreachable worker (another one may take it), else after a wait that starts at the retry
 * delay and doubles with each error in a row, up to its cap. From the bound on it is parked
 * until a worker for its route registers or heartbeats, and even then not before that wait.
 */
export function dispatchRetryAt(
  policy: RetryPolicy,
  code: DispatchErrorCode,
  history: DispatchHistory,
  nowMs: number,
): number {
  const first = history.inARow === 0;
  const delayMs =
    first && code === FailureCode.WORKER_UNREACHABLE
      ? 0
      : Math.min(policy.retryMaxDelayMs, Math.max(policy.retryDelayMs, 2 * history.lastDelayMs));
  if (history.inARow + 1 < DISPATCH_ERRORS_BEFORE_PARKING) return nowMs + delayMs;
  return PARKED_DISPATCH_BASE + nowMs + delayMs;
}
