import { CapstanApiError, CapstanConnectionError, type TokenRole } from './errors.ts';
import { backoffMs, connectionFailure, sleep, type ResolvedRetry } from './retry.ts';

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  readonly query?: Query | undefined;
  /** A JSON body. */
  readonly json?: unknown;
  /** A raw body with its content type (a release folder as `application/gzip`). */
  readonly raw?: { readonly bytes: Uint8Array; readonly contentType: string } | undefined;
  /** Non-2xx statuses whose body is a normal answer (503 from `/api/ready`). */
  readonly acceptStatuses?: readonly number[] | undefined;
  /**
   * True when sending it twice does no more than sending it once (reads, a submit under its
   * idempotency key, cancel): then a connection dropped after sending is retried too. A request
   * that was never sent (connection refused) is always retried.
   */
  readonly idempotent: boolean;
  readonly signal?: AbortSignal | undefined;
  /** `bytes`: the answer's body as raw bytes (a release artifact), not JSON. */
  readonly responseType?: 'json' | 'bytes';
}

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface TransportSettings {
  readonly baseUrl: string;
  readonly tokens: Readonly<Record<Exclude<TokenRole, 'none'>, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly retry: ResolvedRetry;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function refusal(response: Response, body: unknown, role: TokenRole, tokenSent: boolean): CapstanApiError {
  const error =
    typeof body === 'object' && body !== null && 'error' in body
      ? (body as { error: { code?: unknown; message?: unknown; details?: unknown } }).error
      : undefined;
  const message =
    typeof error?.message === 'string'
      ? error.message
      : typeof body === 'string' && body !== ''
        ? body
        : response.statusText || `HTTP ${response.status}`;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new CapstanApiError({
    status: response.status,
    code: typeof error?.code === 'string' ? error.code : `http_${response.status}`,
    message,
    details: error?.details,
    role,
    tokenSent,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  });
}

/** Validates and normalises a base URL (no trailing slash). */
export function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`'${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`'${raw}' is not an http(s) URL`);
  return url.href.replace(/\/+$/, '');
}

/**
 * Sends one API request over `fetch`, with the token of `role`; retries when no answer came
 * (see {@link RequestOptions.idempotent}); a non-2xx answer throws a {@link CapstanApiError}.
 */
export async function send<T>(
  settings: TransportSettings,
  method: string,
  path: string,
  role: TokenRole,
  options: RequestOptions,
): Promise<Answer<T>> {
  const url = new URL(`${settings.baseUrl}${path}`);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as string[]) url.searchParams.append(key, v);
    else url.searchParams.set(key, String(value));
  }
  const token = role === 'none' ? undefined : settings.tokens[role];
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | Uint8Array | undefined;
  if (options.raw) {
    headers['content-type'] = options.raw.contentType;
    body = options.raw.bytes;
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      // The cast: the DOM typings (the console bundles this client) want an ArrayBuffer-backed view.
      const init = { method, headers, body: body as RequestInit['body'], signal: options.signal };
      response = await settings.fetch(url, init);
    } catch (error) {
      const failure = connectionFailure(error);
      if (failure === undefined) throw error;
      const retryable = failure.kind === 'not-sent' || options.idempotent;
      if (!retryable || attempt >= settings.retry.attempts)
        throw new CapstanConnectionError(settings.baseUrl, failure.reason, attempt, error);
      await sleep(backoffMs(settings.retry, attempt), options.signal);
      continue;
    }
    if (response.ok && options.responseType === 'bytes')
      return {
        status: response.status,
        body: new Uint8Array(await response.arrayBuffer()) as T,
        headers: response.headers,
      };
    const parsed = parseBody(await response.text());
    if (response.ok || options.acceptStatuses?.includes(response.status))
      return { status: response.status, body: parsed as T, headers: response.headers };
    const error = refusal(response, parsed, role, token !== undefined);
    // The coordinator lost its database, or is shutting down: nothing was acknowledged.
    const transient =
      response.status === 503 && (error.code === 'store_unavailable' || error.code === 'http_503');
    if (!transient || !options.idempotent || attempt >= settings.retry.attempts) throw error;
    await sleep(
      Math.max(backoffMs(settings.retry, attempt), (error.retryAfterSeconds ?? 0) * 1000),
      options.signal,
    );
  }
}
