/**
 * The error catalogue: every error the coordinator reports, with a stable string code, its
 * HTTP status and a default message. Clients branch on `code`, never on the message.
 * `docs/errors.md` is checked against this table by a test.
 */
export const errorCatalog = {
  invalid_request: { status: 400, message: 'The request is malformed or a field is invalid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  json_too_deep: {
    status: 400,
    message: 'The JSON body nests deeper than the configured limit (capstan.http.max-json-depth).',
  },
  invalid_tenant_id: { status: 400, message: 'The tenant id must match [A-Za-z0-9._-]{1,128}.' },
  invalid_input: { status: 400, message: "The input does not match the pipeline's input schema." },
  invalid_response: { status: 400, message: "The response does not match the await step's response schema." },
  invalid_payload_envelope: { status: 400, message: 'The payload envelope cannot be decoded.' },
  idempotency_key_required: {
    status: 400,
    message: 'An idempotency key is required by the idempotency policy.',
  },
  release_invalid: { status: 400, message: 'The release descriptor or one of its artifacts is invalid.' },
  pipeline_shape_invalid: {
    status: 400,
    message:
      'The pipeline nests an expand in an item continuation, has an aggregate without an expand, or an expand with no step for its items.',
  },
  schedule_invalid: {
    status: 400,
    message:
      'The schedule cannot be: give exactly one of cron or interval, a cron expression croner reads, an IANA time zone (cron only), an ISO-8601 interval of at least PT1S, and one that fires at all.',
  },
  unauthorized: { status: 401, message: 'A valid bearer token is required.' },
  forbidden: { status: 403, message: "The token's role does not open this surface." },
  release_path_not_allowed: {
    status: 403,
    message: 'The release path is not under a configured release root (capstan.releases.allowed-roots).',
  },
  worker_endpoint_not_allowed: {
    status: 403,
    message: 'The worker endpoint is not allowed (capstan.workers.allowed-endpoints).',
  },
  worker_signature_invalid: {
    status: 403,
    message: "The registration's worker-protocol signature does not verify.",
  },
  callback_signature_invalid: {
    status: 403,
    message: "The callback URL's signature does not verify (or this coordinator has no webhook transport).",
  },
  route_not_found: { status: 404, message: 'No such route.' },
  tenant_not_found: { status: 404, message: 'The tenant is not allowed on this coordinator.' },
  execution_not_found: { status: 404, message: 'No such execution in this tenant.' },
  interaction_not_found: { status: 404, message: 'No such interaction in this tenant.' },
  release_not_found: { status: 404, message: 'No such release of this pipeline.' },
  worker_not_found: { status: 404, message: 'No such worker registered for this pipeline.' },
  pipeline_not_found: { status: 404, message: 'No release of this pipeline is registered in this tenant.' },
  schedule_not_found: { status: 404, message: 'No such schedule in this tenant.' },
  worker_endpoint_conflict: {
    status: 409,
    message:
      'The worker is registered at another endpoint; only an admin token or a signed registration may move it.',
  },
  lease_epoch_stale: {
    status: 409,
    message:
      'The worker no longer holds the lease at this epoch (it ran out and was taken back, or the execution moved on); nothing was written.',
  },
  no_active_release: { status: 409, message: 'No active release is registered for the pipeline.' },
  release_incompatible: {
    status: 409,
    message:
      "The release asked for has another contract version than the execution's: a re-drive can only move it to a release of the same contract.",
  },
  idempotency_conflict: {
    status: 409,
    message: 'The idempotency key was already used with a different payload.',
  },
  release_conflict: {
    status: 409,
    message: 'This release version is already registered with different immutable metadata.',
  },
  artifact_verification_failed: {
    status: 409,
    message: 'A stored artifact is missing or no longer matches its digest.',
  },
  interaction_conflict: {
    status: 409,
    message: 'The interaction was already completed with a different response.',
  },
  interaction_closed: { status: 409, message: 'The interaction is no longer open (timed out or cancelled).' },
  interaction_deadline_passed: { status: 409, message: "The interaction's deadline has passed." },
  interaction_not_admitted: {
    status: 409,
    message: "The interaction waits for its step's admission budget: its request is not out yet.",
  },
  execution_state_conflict: {
    status: 409,
    message: 'The execution is not in a state that allows this operation.',
  },
  item_already_aggregated: {
    status: 409,
    message: "The item's parent has already released its aggregate step, which saw this item's outcome.",
  },
  execution_version_conflict: {
    status: 409,
    message: 'The execution changed: its version is not the expected one.',
  },
  online_backup_unsupported: {
    status: 409,
    message:
      'This store is not backed up by the coordinator: back PostgreSQL up with `capstan backup --postgres-url`.',
  },
  callback_expired: {
    status: 410,
    message: "The callback URL has expired: the interaction's deadline passed.",
  },
  request_timeout: { status: 408, message: 'The request was not received in time.' },
  payload_too_large: { status: 413, message: 'The request body exceeds the configured limit.' },
  release_archive_too_large: {
    status: 413,
    message: 'The release archive unpacks past a configured limit (capstan.releases.archive.*).',
  },
  uri_too_long: { status: 414, message: 'A path segment of the request URI is too long.' },
  unsupported_media_type: { status: 415, message: 'The request body must be application/json.' },
  rate_limited: {
    status: 429,
    message: 'Too many requests of this kind; retry after the number of seconds in Retry-After.',
    retryAfterSeconds: 1,
  },
  request_header_too_large: { status: 431, message: 'The request headers are too large.' },
  no_healthy_worker: { status: 503, message: 'No healthy worker hosts the active release.' },
  replay_cache_full: {
    status: 503,
    message: 'The worker holds too many unexpired nonces to check a new one; retry shortly.',
  },
  segment_abandoned: {
    status: 503,
    message: 'The caller hung up mid-segment; the worker stopped before the next step.',
  },
  store_unavailable: {
    status: 503,
    message:
      'The coordinator cannot reach its database; the request was not acknowledged. Retry it (with the same idempotency key).',
    retryAfterSeconds: 2,
  },
  artifact_store_unavailable: {
    status: 503,
    message:
      'The coordinator cannot use its artifact store (S3); nothing was registered or activated. Retry it once the store answers.',
  },
  internal_error: { status: 500, message: 'An unexpected error occurred; it has been logged.' },
} as const satisfies Record<string, { status: number; message: string; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof errorCatalog;

/** A coordinator fault or refusal, mapped to HTTP by its code. */
export class CapstanError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** Sent as `Retry-After` when the catalogue says the caller should come back later. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, details?: unknown, options?: ErrorOptions) {
    super(message ?? errorCatalog[code].message, options);
    this.name = 'CapstanError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = details;
    const entry = errorCatalog[code];
    this.retryAfterSeconds = 'retryAfterSeconds' in entry ? entry.retryAfterSeconds : undefined;
  }
}
