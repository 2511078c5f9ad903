import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
}

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

/**
 * The coordinator's side of the REST worker protocol: signed calls over node:http with a
 * connect timeout and a request timeout. It uses node:http rather than fetch because the
 * coordinator must know whether a request left in full before a failure (fetch reports both
 * cases alike and has no connect timeout of its own), and a fresh connection per call, so a
 * pooled connection the worker closed meanwhile is never mistaken for a call that was sent.
 */
export class SignedRestClient {
  readonly #o: SignedRestClientOptions;

  constructor(options: SignedRestClientOptions) {
    this.#o = options;
  }

  call(
    baseUrl: string,
    request: { method: 'GET' | 'POST'; path: string; body?: string; signal?: AbortSignal },
  ): Promise<RestCallOutcome> {
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
      const finish = (outcome: RestCallOutcome): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) o.timers.clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
        req.destroy();
      };
      const fail = (reason: string): void =>
        finish(sent ? { kind: 'unknown', reason } : { kind: 'not-sent', reason });
      const onAbort = (): void => finish({ kind: 'aborted' });

      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req: ClientRequest = send(url, {
        method: request.method,
        agent: false,
        headers: {
          ...signed.headers,
          ...(request.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          'content-length': String(Buffer.byteLength(body)),
        },
      });
      req.on('socket', (socket) => {
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
      });
      req.on('error', (error) => fail(describe(error)));
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
    finish: (outcome: RestCallOutcome) => void,
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
      finish({ kind: 'answered', status, body, signed: problem === undefined });
    });
  }
}
