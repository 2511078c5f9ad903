import { CHAIN_UNKNOWN, chainLinkOf } from '../domain/idempotency-chain.ts';

/**
 * The SET terms of a guarded retry update that carry the idempotency chain on the execution
 * row: `chainAfterRetry` (`src/domain/idempotency-chain.ts`) in SQL, on the row's values
 * before the update. Both dialects run it as it is; it binds `@chainLink` and `@triedAttempt`.
 */
export const CHAIN_AFTER_RETRY = `chain_key_attempt = CASE
           WHEN CAST(@chainLink AS TEXT) = 'breaks' OR chain_seq = ${CHAIN_UNKNOWN} THEN NULL
           WHEN CAST(@chainLink AS TEXT) = 'maybe_acted'
             THEN COALESCE(CASE WHEN version = chain_seq + 1 THEN chain_key_attempt END, CAST(@triedAttempt AS INTEGER))
           ELSE CASE WHEN version = chain_seq + 1 THEN chain_key_attempt END END,
         chain_seq = CASE WHEN CAST(@chainLink AS TEXT) <> 'breaks' AND chain_seq = ${CHAIN_UNKNOWN}
           THEN ${CHAIN_UNKNOWN} ELSE version + 1 END`;

/** The parameters of `CHAIN_AFTER_RETRY` for a retry with this error code and attempt. */
export const chainParams = (errorCode: string, retryAttempt: number) => ({
  chainLink: chainLinkOf(errorCode),
  // A retry after a try with attempt n records attempt n + 1.
  triedAttempt: retryAttempt - 1,
});
