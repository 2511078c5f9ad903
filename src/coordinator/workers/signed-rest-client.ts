import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock } from '../../runtime/clock.ts';
import type { Random } from '../../runtime/random.ts';
import type { TimerHandle, Timers } from '../../runtime/timers.ts';
import type { KeyRing } from '../../worker-protocol/key-ring.ts';
import { responseProblem, signRequest } from '../../worker-protocol/signed-messages.ts';
import type { NoAnswer } from './remote-transition-worker.ts';

export interface SignedRestClientOptions {
  readonly keys: KeyRing;
  readonly clock: Clock;
  readonly random: Random;
  readonly timers: Timers;
  /** How long the TCP (and TLS) connection may take (`worker.rest.connect-timeout`, PT2S). */
  readonly connectTimeoutMs: number;
  /** How long the whole call may take (`worker.rest.request-timeout`, PT30S). */
  readonly requestTimeoutMs: number;
  /** The clock skew a response signature may show (`worker.rest.signature-tolerance`). */
  readonly toleranceMs: number;
  readonly maxResponseBytes?: number;
  /**
   * How long a connection to a worker stays open between calls for the next call to reuse
   * (0: a new connection per call). Under the 5 s a Node.js server keeps an idle connection by
   * default, so the client drops an idle connection before a worker would.
   */
  readonly keepAliveMs?: number;
}

/** See `keepAliveMs`. */
export const DEFAULT_KEEP_ALIVE_MS = 2000;

/**
 * How a call ended, split by what the caller may conclude about the remote side:
 * - answered: a status and a body; a 2xx body is signed by a holder of the request's key, and
 *   `signed` says whether another status is too (only a signed refusal may say nothing ran:
 *   a proxy's, or anyone's, unsigned 503 may follow a partial run).
 * - not-sent: the request never left in full (refused connection, connect timeout, a write
 *   cut short). The worker verifies the body's hash before acting, so nothing ran.
 * - unknown: the request went out but no trustworthy answer came back (timeout, dropped
 *   connection, a bad response signature): it may have run.
 * - aborted: the caller gave up (the execution was cancelled).
 */
export type RestCallOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string; readonly signed: boolean }
  | NoAnswer;

/** `base` may carry a path prefix (`http://host/workers/a`); `path` goes under it. */
function endpointUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

const describe = (error: unknown): string => {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
};

type CallRequest = {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  signal?: AbortSignal;
  /** Unsigned headers beside the signed ones (`traceparent`). */
  headers?: Readonly<Record<string, string>>;
};

/**
 * The coordinator's side of the REST worker protocol: signed calls over node:http with a
 * connect timeout and a request timeout. It uses node:http rather than fetch because the
 * coordinator must know whether a request left in full before a failure (fetch reports both
 * cases alike and has no connect timeout of its own).
 *
 * Connections are kept open between calls (`keepAliveMs`): a call then costs no TCP handshake.
 * A kept connection the worker closed meanwhile fails the next call on it; when that happens
 * before the request was handed to the socket, nothing was sent and the call is made again once
 * on a new connection. A request that may have been sent is never made again: its outcome is
 * unknown, as on a new connection.
 */
export class SignedRestClient {
  readonly #o: SignedRestClientOptions;
  readonly #agents: { readonly http: HttpAgent; readonly https: HttpsAgent } | undefined;

  constructor(options: SignedRestClientOptions) {
    this.#o = options;
    const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    // `timeout` closes a connection idle in the pool that long; a call in flight keeps its own.
    const pooled = { keepAlive: true, timeout: keepAliveMs, scheduling: 'lifo' as const };
    this.#agents =
      keepAliveMs > 0 ? { http: new HttpAgent(pooled), https: new HttpsAgent(pooled) } : undefined;
  }

  /** Closes the kept connections; a call made afterwards opens a new one. */
  close(): void {
    this.#agents?.http.destroy();
    this.#agents?.https.destroy();
  }

  async call(baseUrl: string, request: CallRequest): Promise<RestCallOutcome> {
    const first = await this.#call(baseUrl, request, true);
    if (first.kind !== 'stale') return first;
    return this.#call(baseUrl, request, false) as Promise<RestCallOutcome>;
  }

  /** One try; `stale` when a kept connection failed before anything of the request was sent. */
  #call(
    baseUrl: string,
    request: CallRequest,
    mayReuse: boolean,
  ): Promise<RestCallOutcome | { readonly kind: 'stale' }> {
    const o = this.#o;
    const body = request.body ?? '';
    let url: URL;
    try {
      url = endpointUrl(baseUrl, request.path);
    } catch {
      return Promise.resolve({ kind: 'not-sent', reason: `'${baseUrl}' is not a URL` });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return Promise.resolve({ kind: 'not-sent', reason: `'${baseUrl}' is not an http(s) URL` });
    const signed = signRequest(o.keys, o, { method: request.method, path: url.pathname, body });
    return new Promise((resolve) => {
      let connected = false;
      let sent = false;
      let settled = false;
      const timers: TimerHandle[] = [];
      /** Settles the call; the connection goes back to the pool only after a whole answer. */
      const finish = (
        outcome: RestCallOutcome | { readonly kind: 'stale' },
        keepConnection = false,
      ): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) o.timers.clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
        if (!keepConnection) req.destroy();
      };
      const fail = (reason: string, { connectionFailed = false } = {}): void => {
        if (sent) return finish({ kind: 'unknown', reason });
        // A kept connection that failed before the request was handed to it: try a new one.
        finish(connectionFailed && req.reusedSocket ? { kind: 'stale' } : { kind: 'not-sent', reason });
      };
      const onAbort = (): void => finish({ kind: 'aborted' });

      const https = url.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const pooled = mayReuse ? this.#agents?.[https ? 'https' : 'http'] : undefined;
      const req: ClientRequest = send(url, {
        method: request.method,
        agent: pooled ?? false,
        headers: {
          ...request.headers,
          ...signed.headers,
          ...(request.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          'content-length': String(Buffer.byteLength(body)),
        },
      });
      req.on('socket', (socket) => {
        // A kept connection is connected already and will not say so again.
        if (req.reusedSocket && !socket.connecting) connected = true;
        else socket.once(https ? 'secureConnect' : 'connect', () => (connected = true));
      });
      req.on('error', (error) => fail(describe(error), { connectionFailed: true }));
      req.on('response', (response) => {
        sent = true;
        this.#read(response, url.pathname, signed, finish);
      });
      timers.push(
        o.timers.setTimeout(() => {
          if (!connected) fail(`no connection to ${url.host} within ${o.connectTimeoutMs} ms`);
        }, o.connectTimeoutMs),
        o.timers.setTimeout(
          () => fail(`no answer from ${url.host} within ${o.requestTimeoutMs} ms`),
          o.requestTimeoutMs,
        ),
      );
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      // The callback runs once every byte is handed to the socket: from then on the worker may act.
      req.end(body, () => (sent = true));
    });
  }

  #read(
    response: IncomingMessage,
    path: string,
    signed: { nonce: string; keyId: string | undefined },
    finish: (outcome: RestCallOutcome, keepConnection?: boolean) => void,
  ): void {
    const o = this.#o;
    const limit = o.maxResponseBytes ?? 64 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish({ kind: 'unknown', reason: `the response exceeds ${limit} bytes` });
      else chunks.push(chunk);
    });
    response.on('error', (error) => finish({ kind: 'unknown', reason: describe(error) }));
    response.on('aborted', () => finish({ kind: 'unknown', reason: 'the response was cut short' }));
    response.on('end', () => {
      const status = response.statusCode ?? 0;
      const body = Buffer.concat(chunks).toString('utf8');
      const problem = responseProblem(o.keys, signed.keyId, o.clock, o.toleranceMs, {
        status,
        path,
        requestNonce: signed.nonce,
        headers: response.headers,
        body,
      });
      if (problem && status >= 200 && status < 300) return finish({ kind: 'unknown', reason: problem });
      finish({ kind: 'answered', status, body, signed: problem === undefined }, true);
    });
  }
}
