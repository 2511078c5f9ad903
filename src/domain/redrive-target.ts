/**
 * Where a re-drive sends an execution (docs/dlq.md#re-drive-targets):
 *
 * - `pinned` (the default): the release it is pinned to, as before.
 * - `active`: the pipeline's active release at the time of the re-drive.
 * - `{ releaseVersion }`: a named release of the pipeline.
 *
 * A release other than the pinned one must have the execution's contract version: the steps
 * keep their ids, order and schemas, so the outputs of the steps already completed stay valid
 * input for the rest. The pin moves in the re-drive's own transaction, and the journal's
 * `redriven` event records the target asked for, and the release before and after.
 */
export type RedriveTarget = 'pinned' | 'active' | { readonly releaseVersion: string };

/** The release a re-drive moves the pin to, as resolved by the coordinator. */
export interface RedriveRelease {
  readonly releaseVersion: string;
  readonly contractVersion: string;
}
