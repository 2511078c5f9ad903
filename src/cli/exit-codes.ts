import { CommanderError } from 'commander';
import { ConfigError } from '../errors/config-error.ts';
import { CapstanError } from '../errors/catalog.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';

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
  /** A configuration error (`capstan serve`, `capstan migrate`, a malformed `--url`). */
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
  // The coordinator's own refusal, met by `serve` itself (an artifact store down at start: 7).
  if (error instanceof CapstanError) return exitCodeOfStatus(error.status);
  if (!(error instanceof CliError)) return EXIT.failure;
  // A path outside the release roots is a refused argument, not a bad token.
  if (error.code === 'release_path_not_allowed') return EXIT.refused;
  if (error.status !== null) return exitCodeOfStatus(error.status);
  switch (error.code) {
    case localCodes.invalidArgument:
      return EXIT.refused;
    case localCodes.invalidConfiguration:
      return EXIT.config;
    case localCodes.unreachable:
      return EXIT.unavailable;
    default:
      return EXIT.failure;
  }
}

/** Prints what went wrong to stderr (commander has already printed its own) and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CliError || error instanceof CapstanError)
    console.error(`error ${error.code}: ${error.message}`);
  else if (error instanceof ConfigError) console.error(error.message);
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

Exit codes:
  0 ok   1 unexpected failure   2 usage error   3 not found (404)   4 conflict (409)
  5 refused (400/413/415, bad argument)   6 auth (401/403)   7 unavailable (503, unreachable)
  78 configuration error`;
