import { CapstanError } from '../../errors/catalog.ts';
import { isRefusedValue, refusedValueError } from './refused-value.ts';

// Node's network errors: no connection, or one that broke.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE: class 08 (connection exception), the server shutting down or not yet accepting,
// and 25006: a write refused by a read-only database (a standby not yet promoted during a
// failover, or one set read-only on purpose). None applied the command; the next try may land.
const SERVER_CODES = /^(08...|57P01|57P02|57P03|53300|25006)$/;
// SQLSTATE of a server that refused the connection itself: class 28 (invalid authorization:
// a revoked login, a changed password), class 3D (no such database). Retrying will not help
// until an operator acts, but the command was not applied and the database cannot be used:
// a 503 `store_unavailable`, never a 500.
const REFUSED_CONNECTION_CODES = /^(28|3D)...$/;
// The driver's own errors for a connection lost or never made carry no code: only their words.
const DRIVER_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;

/**
 * A prepared statement whose result columns a migration changed fails on its connection,
 * which is then discarded; the command was not applied and may be retried. Its SQLSTATE
 * (0A000, feature not supported) is broad, so the routine that raised it narrows it: both
 * are the same whatever language the server's `lc_messages` words the message in.
 */
const isStalePlan = (code: unknown, routine: unknown): boolean =>
  code === '0A000' && routine === 'RevalidateCachedQuery';

/**
 * True when `error` (or the `store_unavailable` it was reported as) is a prepared statement gone
 * stale: an additive migration another node applied (a column added to a table read with `*`)
 * changed its result columns. The statement did nothing, and its connection is discarded, so
 * running it again on another connection is safe (docs/upgrade-and-drain.md).
 */
export function wentStale(error: unknown): boolean {
  const raw = error instanceof CapstanError ? error.cause : error;
  const e = raw as { code?: unknown; routine?: unknown } | undefined;
  return isStalePlan(e?.code, e?.routine);
}

/** True when the database could not be reached, as opposed to refusing a statement. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.test(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  if (isStalePlan(code, (error as { routine?: unknown }).routine)) return true;
  return DRIVER_MESSAGES.test(error.message);
}

/**
 * True when the database could not be reached or would not take the connection (wrong
 * credentials, no such database), or when the store already reported it `store_unavailable`.
 */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof CapstanError) return error.code === 'store_unavailable';
  if (isUnavailable(error)) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnreachable);
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && REFUSED_CONNECTION_CODES.test(code);
}

/**
 * Reports an unreachable (or refusing, or read-only) database as `store_unavailable` (503): the command was not
 * acknowledged, and retrying it with the same idempotency key is safe. A value the database
 * cannot hold (a NUL byte) is the caller's `invalid_request` (400). Other errors pass.
 */
export function asStoreError(error: unknown): unknown {
  if (isUnreachable(error) && !(error instanceof CapstanError))
    return new CapstanError('store_unavailable', undefined, undefined, { cause: error });
  return isRefusedValue(error) ? refusedValueError(error) : error;
}
