/** How the client retries a request that got no answer (connection refused, reset, hung up). */
export interface RetryOptions {
  /** Tries in all, the first included; 1 retries nothing. Default 6. */
  readonly attempts?: number;
  /** The wait before the first retry (ms). Default 200. */
  readonly initialDelayMs?: number;
  /** Each wait is the previous one times this. Default 2. */
  readonly multiplier?: number;
  /** No wait is longer than this (ms). Default 3000. */
  readonly maxDelayMs?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetry = {
  attempts: 6,
  initialDelayMs: 200,
  multiplier: 2,
  maxDelayMs: 3000,
};

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry {
  if (options === false) return { ...DEFAULT_RETRY, attempts: 1 };
  return { ...DEFAULT_RETRY, ...options, attempts: Math.max(1, options?.attempts ?? DEFAULT_RETRY.attempts) };
}

/** The wait before retry number `retry` (1 for the first), with ±20% jitter so clients spread out. */
export function backoffMs(policy: ResolvedRetry, retry: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Connection errors where the request never left: retrying cannot do it twice. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
]);
/** Connection errors after the request may have arrived: retried only when it is idempotent. */
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ETIMEDOUT']);

/** What a fetch failure says about the request: never sent, perhaps sent, or not a connection error. */
export function connectionFailure(
  error: unknown,
): { kind: 'not-sent' | 'maybe-sent'; reason: string } | undefined {
  if (!(error instanceof Error) || error.name === 'AbortError') return undefined;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : (error as { code?: unknown }).code;
  const reason = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : error.message;
  if (typeof code === 'string' && NOT_SENT.has(code)) return { kind: 'not-sent', reason };
  if (typeof code === 'string' && MAYBE_SENT.has(code)) return { kind: 'maybe-sent', reason };
  // undici's own words for a dropped connection, when no code says it.
  if (/fetch failed|socket hang up|other side closed|ECONNRESET/i.test(`${error.message} ${reason}`))
    return { kind: 'maybe-sent', reason };
  return undefined;
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
