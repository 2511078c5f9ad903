/**
 * The journal's event types. Each command appends exactly one event, with `seq` equal to the
 * execution version it produced. The data of each event is enough to rebuild the projections
 * (see `execution-projection.ts`); lease renewals are not journaled.
 */
export const JournalEventType = {
  SUBMITTED: 'submitted',
  ATTEMPT_STARTED: 'attempt_started',
  STEP_COMPLETED: 'step_completed',
  SUCCEEDED: 'succeeded',
  SUSPENDED: 'suspended',
  /** An interaction held back by its step's admission budget was admitted: its request goes out now. */
  INTERACTION_ADMITTED: 'interaction_admitted',
  INTERACTION_COMPLETED: 'interaction_completed',
  RETRY_SCHEDULED: 'retry_scheduled',
  MOVED_TO_DLQ: 'moved_to_dlq',
  FAILED: 'failed',
  REDRIVEN: 'redriven',
  CANCELLED: 'cancelled',
  /** A parent's `expand` step made its items (child executions); it waits for them. */
  EXPANDED: 'expanded',
  /** A parent's last item became terminal: it is due at its aggregate step. */
  ITEMS_COMPLETED: 'items_completed',
} as const;
export type JournalEventType = (typeof JournalEventType)[keyof typeof JournalEventType];
