/**
 * A failure the CLI reports as `error <code>: <message>`: a refusal from the coordinator
 * (`status` is its HTTP status, `code` its error code) or a local one (`status` null), such
 * as an unreachable server or an argument that is not valid JSON.
 */
export class CliError extends Error {
  readonly code: string;
  readonly status: number | null;
  readonly details: unknown;

  constructor(code: string, message: string, status: number | null = null, details?: unknown) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Local codes, for failures found before or instead of an HTTP answer. */
export const localCodes = {
  /** An argument's value is refused before any request (malformed JSON, unreadable file). */
  invalidArgument: 'invalid_argument',
  /** `--url` / `CAPSTAN_URL` is not an http(s) URL. */
  invalidConfiguration: 'invalid_configuration',
  /** No connection: refused, reset, unknown host, timed out. */
  unreachable: 'unreachable',
} as const;
