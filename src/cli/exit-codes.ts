import { CommanderError } from 'commander';
import { ConfigError } from '../errors/config-error.ts';
import { CapstanError } from '../errors/catalog.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';
import { CapstanApiError, CapstanConnectionError } from '../client/index.ts';
import { authHint, detailLines } from './error-report.ts';

/** The CLI's exit codes, documented in the README ("Command line"). */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug, a 5xx other than 503). */
  failure: 1,
  /** A usage error: unknown command or option, missing or malformed argument (commander). */
  usage: 2,
  /** 404: no such execution, interaction, release, worker or route. */
  notFound: 3,
  /** 409: the state does not allow it (not in the DLQ, version changed, key reused…). */
  conflict: 4,
  /** 400/413/415 (any other 4xx too), or an argument refused before the request. */
  refused: 5,
  /** 401/403: no token, a wrong token, or a token whose role does not open the surface. */
  auth: 6,
  /** 503, or the coordinator (for `serve` and `migrate`: the database) cannot be reached. */
  unavailable: 7,
  /** `capstan result --wait`: the execution ended FAILED. */
  executionFailed: 8,
  /** `capstan result --wait`: the execution is in the DLQ. */
  executionDlq: 9,
  /** `capstan result --wait`: the execution was CANCELLED. */
  executionCancelled: 10,
  /** `capstan result --wait`: the wait ended before the execution did (still running, or parked). */
  executionNotFinished: 11,
  /** `capstan export verify`: the file's hash chain is broken (a line changed, removed, moved or added). */
  exportTampered: 12,
  /**
   * A configuration error (`capstan serve`, `capstan migrate`, a malformed `--url`), or a schema
   * a newer Capstan migrated past what this one can run beside (`schema_too_new`).
   */
  config: 78,
} as const;

function exitCodeOfStatus(status: number): number {
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 503) return EXIT.unavailable;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.failure;
}

/** The exit code for anything a command throws. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof CapstanConnectionError) return EXIT.unavailable;
  if (error instanceof ExecutionOutcome) return error.exitCode;
  // A refusal of the API (or of the coordinator met by `serve` itself: an artifact store down
  // at start is 7) by its status; a local one by its code.
  if (!(error instanceof CliError || error instanceof CapstanApiError || error instanceof CapstanError))
    return EXIT.failure;
  // A path outside the release roots is a refused argument, not a bad token.
  if (error.code === 'release_path_not_allowed') return EXIT.refused;
  if (error.status !== null) return exitCodeOfStatus(error.status);
  switch (error.code) {
    case localCodes.invalidArgument:
      return EXIT.refused;
    case localCodes.invalidConfiguration:
      return EXIT.config;
    // A newer Capstan migrated the schema past what this one can run beside (docs/upgrade-and-drain.md).
    case 'schema_too_new':
      return EXIT.config;
    case localCodes.unreachable:
    case 'store_unreachable':
    case 'pg_tools_missing':
      return EXIT.unavailable;
    // backup, restore and export (docs/backup-and-restore.md, docs/history-export.md)
    case 'backup_source_not_found':
    case 'execution_not_found':
      return EXIT.notFound;
    case 'not_a_backup':
    case 'newer_schema':
    case 'export_unreadable':
      return EXIT.refused;
    case 'restore_target_not_empty':
      return EXIT.conflict;
    case 'export_chain_broken':
      return EXIT.exportTampered;
    default:
      return EXIT.failure;
  }
}

/**
 * How `result --wait` ended when it was not SUCCEEDED: the result is printed already, only the
 * exit code is left to say it.
 */
export class ExecutionOutcome extends Error {
  readonly exitCode: number;
  constructor(status: string, exitCode: number) {
    super(`the execution is ${status}`);
    this.name = 'ExecutionOutcome';
    this.exitCode = exitCode;
  }
}

/** The `--json` form of a refusal: the API's error object, details included. */
function errorJson(error: { code: string; message: string; details?: unknown }): string {
  const { code, message, details } = error;
  return JSON.stringify(
    { error: details === undefined ? { code, message } : { code, message, details } },
    null,
    2,
  );
}

/**
 * Prints what went wrong to stderr (commander has already printed its own) and returns the exit
 * code: `error <code>: <message>`, then the API's field details and hints, one per line. With
 * `json`, the error object (details included) also goes to stdout, as the API sent it.
 */
export function reportError(error: unknown, json = false): number {
  if (error instanceof ExecutionOutcome) return error.exitCode;
  if (error instanceof CapstanApiError) {
    const { suffix, hints } = authHint(error);
    console.error(
      [`error ${error.code}: ${error.message}${suffix}`, ...detailLines(error.details), ...hints].join('\n'),
    );
    if (json) console.log(errorJson(error));
  } else if (error instanceof CapstanConnectionError) {
    console.error(`error ${localCodes.unreachable}: ${error.message}`);
    if (json) console.log(errorJson({ code: localCodes.unreachable, message: error.message }));
  } else if (error instanceof CliError || error instanceof CapstanError) {
    console.error([`error ${error.code}: ${error.message}`, ...detailLines(error.details)].join('\n'));
    if (json) console.log(errorJson(error));
  } else if (error instanceof ConfigError) console.error(error.message);
  else if (!(error instanceof CommanderError))
    console.error(`capstan: ${error instanceof Error ? error.message : String(error)}`);
  return exitCodeOf(error);
}

/** The end of `capstan --help`: the environment and the exit codes. */
export const exitCodesHelp = `
Environment:
  CAPSTAN_URL          coordinator base URL (default http://127.0.0.1:8080)
  CAPSTAN_TOKEN        operator bearer token
  CAPSTAN_ADMIN_TOKEN  admin bearer token (admin commands; else CAPSTAN_TOKEN)
  CAPSTAN_WORKER_TOKEN worker bearer token (workers register/heartbeat; else the admin token)
  CAPSTAN_TENANT       tenant id (default "default")
  CAPSTAN_PROFILE      profile saved by \`capstan login\` (default "default")
  CAPSTAN_DATA_DIR     a local coordinator's data directory, whose tokens.json the CLI reads
                       when no token is given and the URL is loopback (default ./.capstan)

Exit codes:
  0 ok   1 unexpected failure   2 usage error   3 not found (404)   4 conflict (409)
  5 refused (400/413/415, bad argument)   6 auth (401/403)   7 unavailable (503, unreachable)
  result --wait: 8 FAILED   9 DLQ   10 CANCELLED   11 not finished when the wait ended
  12 export verify: the hash chain is broken
  78 configuration error`;
