import { join } from 'node:path';
import { CapstanError } from '../errors/catalog.ts';
import { redactUrl } from '../config/redact.ts';
import { resolvePostgresUrl, type OpenedStore } from '../store/open-store.ts';
import type { Store } from '../store/store-port.ts';
import type { Settings } from '../config/settings.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';
import { SchemaTooNewError } from '../store/migrations.ts';

/** How long the first query may wait for a connection before the store counts as unreachable. */
export const FIRST_CONTACT_TIMEOUT_MS = 30_000;

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
  store: Store,
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
    throw unreachable(store, error, target) ?? error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A CliError `unreachable` when the store says `error` means its database could not be
 * reached (the store knows its driver's codes), else undefined.
 */
export function unreachable(store: Store, error: unknown, target: string): CliError | undefined {
  if (error instanceof CliError) return error;
  if (!store.isUnreachable(error)) return undefined;
  // The store's own report of an unreachable database (503 over HTTP): its cause says why.
  const cause = error instanceof CapstanError && error.cause instanceof Error ? error.cause : error;
  return new CliError(localCodes.unreachable, `cannot reach ${target}: ${reasonOf(cause)}`);
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

/**
 * A CliError `schema_too_new` (exit 78) naming the target when a newer Capstan migrated the
 * schema past what this one can run beside, else undefined; its details list the migrations.
 */
export function schemaTooNew(error: unknown, target: string): CliError | undefined {
  if (!(error instanceof SchemaTooNewError)) return undefined;
  return new CliError(error.code, `${target}: ${error.message}`, null, { ahead: error.ahead });
}
