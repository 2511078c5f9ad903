/**
 * The client's failures, as typed objects: a refusal the coordinator answered
 * ({@link CapstanApiError}, with its catalogue code) or no answer at all
 * ({@link CapstanConnectionError}). Branch on `code`, never on `message`.
 */

/** Which of the coordinator's tokens a request carried: each surface opens to some of them. */
export type TokenRole = 'operator' | 'admin' | 'worker' | 'none';

/** A field-level problem of a validation error (`details.issues[]`). */
export interface ApiIssue {
  /** JSON pointer of the offending field (`/status/0`), or of the query parameter (`/limit`). */
  readonly path: string;
  readonly message: string;
  /** The values the field accepts, when it takes one of a fixed set. */
  readonly allowed?: readonly (string | number)[];
  /** The bounds, when the value was out of range (numbers) or of length. */
  readonly minimum?: number;
  readonly maximum?: number;
}

/** The coordinator refused the request: `{error: {code, message, details?}}` with its HTTP status. */
export class CapstanApiError extends Error {
  /** The HTTP status (400, 404, 409…). */
  readonly status: number;
  /** The stable code from the error catalogue (`docs/errors.md`), or `http_<status>` for a bare answer. */
  readonly code: string;
  /** Field details as the API sent them (validation errors carry `issues`), or undefined. */
  readonly details: unknown;
  /** The token role the request was sent with, and whether it carried a token at all. */
  readonly role: TokenRole;
  readonly tokenSent: boolean;
  /** `Retry-After`, in seconds, when the coordinator asked to come back later. */
  readonly retryAfterSeconds: number | undefined;

  constructor(p: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    role: TokenRole;
    tokenSent: boolean;
    retryAfterSeconds?: number | undefined;
  }) {
    super(p.message);
    this.name = 'CapstanApiError';
    this.status = p.status;
    this.code = p.code;
    this.details = p.details;
    this.role = p.role;
    this.tokenSent = p.tokenSent;
    this.retryAfterSeconds = p.retryAfterSeconds;
  }

  /** The field problems of a validation error (`details.issues`), or none. */
  get issues(): readonly ApiIssue[] {
    const details = this.details as { issues?: unknown } | undefined;
    return Array.isArray(details?.issues) ? (details.issues as ApiIssue[]) : [];
  }
}

/** No answer from the coordinator: refused, reset, unknown host, after every retry. */
export class CapstanConnectionError extends Error {
  /** The coordinator's base URL. */
  readonly url: string;
  /** How many times the request was tried. */
  readonly attempts: number;

  constructor(url: string, reason: string, attempts: number, cause: unknown) {
    super(`cannot reach ${url}: ${reason}`, { cause });
    this.name = 'CapstanConnectionError';
    this.url = url;
    this.attempts = attempts;
  }
}

/** `pipeline(p).run(input)`: the execution ended without a result (DLQ, FAILED, CANCELLED). */
export class CapstanExecutionError extends Error {
  readonly executionId: string;
  /** How it ended (DLQ, FAILED, CANCELLED), or where it still was when the wait ran out. */
  readonly status: string;
  /** The failure's code (`errorCode`) when there was one. */
  readonly code: string | null;

  constructor(executionId: string, status: string, code: string | null, message: string | null) {
    super(`execution ${executionId} is ${status}${code ? ` (${code}${message ? `: ${message}` : ''})` : ''}`);
    this.name = 'CapstanExecutionError';
    this.executionId = executionId;
    this.status = status;
    this.code = code;
  }
}
