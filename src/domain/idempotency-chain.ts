import { FailureCode } from './failure-codes.ts';

/**
 * The chain of tries behind a step's idempotency key. A try whose outcome the coordinator never
 * learned (a remote call with no answer, a lease that ran out) may have acted, so the tries
 * after it keep the key of the first such try: a side effect that did happen is recognised by
 * its provider rather than repeated. Dispatch errors (nothing ran) neither spend an attempt
 * nor break the chain; any other event does.
 *
 * The journal holds the chain: after the latest event, walking back over `attempt_started`
 * and dispatch errors, the unbroken run of maybe-acted retries. So as not to walk it on every
 * dispatch, each retry also writes the chain to the execution row, in the same guarded update:
 * `chainKeyAttempt`, the attempt of the run's first maybe-acted try (null when the run has
 * none), and `chainSeq`, the seq of that retry. A later event (other than the claim that
 * follows a retry) moves the version past `chainSeq + 1`, which is how a reader knows the chain
 * was broken since, without any other command having to write these columns.
 */

/** Tries that may have acted without the coordinator learning how they ended. */
export const MAYBE_ACTED: ReadonlySet<string> = new Set([
  FailureCode.REMOTE_OUTCOME_UNKNOWN,
  FailureCode.LEASE_EXPIRED,
]);
/** Dispatch errors: nothing ran and no attempt was spent. */
export const NOTHING_RAN: ReadonlySet<string> = new Set([
  FailureCode.DISPATCH_REFUSED,
  FailureCode.WORKER_UNREACHABLE,
]);

/**
 * `chainSeq` of a row written before the chain was kept on it: the chain is unknown, so the
 * journal is read instead, until a retry that ends any chain starts a known one.
 */
export const CHAIN_UNKNOWN = -1;

/** What a retry with this error code does to the chain. */
export type ChainLink = 'maybe_acted' | 'nothing_ran' | 'breaks';

export function chainLinkOf(errorCode: string): ChainLink {
  if (MAYBE_ACTED.has(errorCode)) return 'maybe_acted';
  if (NOTHING_RAN.has(errorCode)) return 'nothing_ran';
  return 'breaks';
}

/** The chain as the execution row keeps it. */
export interface Chain {
  readonly chainKeyAttempt: number | null;
  readonly chainSeq: number | null;
}

/**
 * The chain after a retry: `before` is the row it updates (`version` its version until then),
 * `triedAttempt` the attempt of the try that failed, `seq` the retry's own. The stores' guarded
 * retry updates compute the same in SQL; the projection fold calls this.
 */
export function chainAfterRetry(
  before: Chain & { readonly version: number },
  link: ChainLink,
  triedAttempt: number,
  seq: number,
): Chain {
  if (link === 'breaks') return { chainKeyAttempt: null, chainSeq: seq };
  if (before.chainSeq === CHAIN_UNKNOWN) return { chainKeyAttempt: null, chainSeq: CHAIN_UNKNOWN };
  // Unbroken: the only event since the chain's last retry is the claim of the try that failed.
  const unbroken = before.chainSeq !== null && before.version === before.chainSeq + 1;
  const kept = unbroken ? before.chainKeyAttempt : null;
  return { chainKeyAttempt: link === 'maybe_acted' ? (kept ?? triedAttempt) : kept, chainSeq: seq };
}

/**
 * The attempt whose key the current try of `x` gets, from its row; `undefined` when the row
 * cannot tell (its chain predates the columns) and the journal must be read.
 */
export function keyAttemptOf(
  x: Chain & { readonly version: number; readonly attempt: number; readonly errorCode: string | null },
): number | undefined {
  const code = x.errorCode ?? '';
  if (x.attempt === 0 || chainLinkOf(code) === 'breaks') return x.attempt;
  if (x.chainSeq === CHAIN_UNKNOWN) return undefined;
  const unbroken = x.chainSeq !== null && x.version === x.chainSeq + 1;
  return (unbroken ? x.chainKeyAttempt : null) ?? x.attempt;
}
