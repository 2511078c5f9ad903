import { join } from 'node:path';
import { redactUrl } from '../config/redact.ts';
import { resolvePostgresUrl, type OpenedStore } from '../store/open-store.ts';
import type { Settings } from '../config/settings.ts';
import { CliError, localCodes } from './cli-error.ts';

/** How long the first query may wait for a connection before the store counts as unreachable. */
export const FIRST_CONTACT_TIMEOUT_MS = 30_000;

// Node's network errors, and PostgreSQL's refusals of the connection itself (SQLSTATE classes
// 08 connection exception, 28 invalid authorization, 3D no such database, 57P03 cannot connect now).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const isConnectionFailure = (code: string): boolean =>
  NETWORK_CODES.has(code) || /^(08|28|3D)/.test(code) || code === '57P03';

/** Where the store is, fit to print: the PostgreSQL URL with its password masked, or the SQLite file. */
export function storeTarget(values: Settings, store: OpenedStore, dataDir: string): string {
  if (store.dialect === 'sqlite') return `SQLite ${join(dataDir, 'capstan.db')}`;
  return `PostgreSQL ${redactUrl(resolvePostgresUrl(values))} (schema ${store.schema})`;
}

/**
 * The first thing asked of a store, bounded: a database that cannot be reached (refused, unknown
 * host, wrong credentials, no answer within `timeoutMs`) becomes a CliError `unreachable`
 * (exit 7) naming the target, instead of a stack trace or a hang.
 */
export async function firstContact<T>(
  work: Promise<T>,
  target: string,
  timeoutMs = FIRST_CONTACT_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new CliError(localCodes.unreachable, `cannot reach ${target}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    throw unreachable(error, target) ?? error;
  } finally {
    clearTimeout(timer);
  }
}

/** A CliError `unreachable` when `error` says the database could not be reached, else undefined. */
export function unreachable(error: unknown, target: string): CliError | undefined {
  if (error instanceof CliError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  // The store's own report of an unreachable database (503 over HTTP): its cause says why.
  if (code === 'store_unavailable' && error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause : error;
    return new CliError(localCodes.unreachable, `cannot reach ${target}: ${reasonOf(cause)}`);
  }
  if (typeof code !== 'string' || !isConnectionFailure(code)) return undefined;
  return new CliError(localCodes.unreachable, `cannot reach ${target}: ${reasonOf(error)}`);
}

/** A readable reason: an AggregateError (every address refused) has an empty message of its own. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    const first: unknown = error.errors[0];
    if (first instanceof Error && first.message) return first.message;
  }
  if (error instanceof Error && error.message) return error.message;
  return String((error as { code?: unknown }).code);
}
