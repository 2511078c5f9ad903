import { keyAttemptOf, MAYBE_ACTED, NOTHING_RAN } from '../domain/idempotency-chain.ts';
import { JournalEventType } from '../domain/journal-events.ts';
import type { ExecutionRecord, JournalEvent } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';

const PAGE = 64;

/**
 * The attempt whose idempotency key (`executionId:stepIndex:attempt`) the current step gets.
 * Normally its own attempt. After tries that may have acted without the coordinator learning
 * the outcome, the key of the first of them, so a side effect that did happen is recognised
 * by its provider rather than repeated (see `domain/idempotency-chain.ts`). The claimed row
 * carries the chain; only a row whose chain predates that is read from the journal.
 */
export async function idempotencyAttemptOf(
  store: Pick<Store, 'readJournal'>,
  x: ExecutionRecord,
): Promise<number> {
  return keyAttemptOf(x) ?? (await idempotencyAttemptFromJournal(store, x));
}

/** The same, read from the journal (newest first): for rows whose chain the row cannot tell. */
export async function idempotencyAttemptFromJournal(
  store: Pick<Store, 'readJournal'>,
  x: ExecutionRecord,
): Promise<number> {
  const code = x.errorCode ?? '';
  if (x.attempt === 0 || !(MAYBE_ACTED.has(code) || NOTHING_RAN.has(code))) return x.attempt;
  let keyAttempt = x.attempt;
  for (let before = x.version + 1; before > 1; before -= PAGE) {
    const afterSeq = Math.max(0, before - 1 - PAGE);
    const page = await store.readJournal(x.executionId, afterSeq, before - 1 - afterSeq);
    for (const event of page.reverse()) {
      const verdict = chainStep(event, x.stepIndex);
      if (verdict === 'end') return keyAttempt;
      if (typeof verdict === 'number') keyAttempt = verdict;
    }
  }
  return keyAttempt;
}

/** An event's place in the chain of tries: skip it, end the chain, or the attempt it keyed. */
function chainStep(event: JournalEvent, stepIndex: number): 'skip' | 'end' | number {
  if (event.type === JournalEventType.ATTEMPT_STARTED) return 'skip';
  if (event.type !== JournalEventType.RETRY_SCHEDULED || event.data.stepIndex !== stepIndex) return 'end';
  const code = String(event.data.errorCode);
  if (NOTHING_RAN.has(code)) return 'skip';
  // A retry scheduled after a try with attempt n records attempt n + 1.
  if (MAYBE_ACTED.has(code)) return Number(event.data.attempt) - 1;
  return 'end';
}
