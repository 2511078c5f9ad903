import type { Timers } from '../runtime/timers.ts';

/** A coordinator's answer to a pull call: its status and JSON body (undefined when none). */
export interface PullAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The coordinator had too many long-polls waiting and answered at once (`capstan-long-poll: capped`). */
  readonly capped: boolean;
}

/**
 * The pull worker's calls to its coordinator (any node): JSON POSTs with the worker token,
 * each bounded by a timeout. A refusal is an answer (its status and body), not an exception;
 * only a call that got no answer throws.
 */
export class PullClient {
  readonly #url: string;
  readonly #token: string;
  readonly #timers: Timers;

  constructor(options: { url: string; workerToken: string; timers: Timers }) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#token = options.workerToken;
    this.#timers = options.timers;
  }

  async post(path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<PullAnswer> {
    const abort = new AbortController();
    const timer = this.#timers.setTimeout(() => abort.abort(), timeoutMs);
    const hangUp = (): void => abort.abort();
    signal?.addEventListener('abort', hangUp, { once: true });
    try {
      const response = await fetch(`${this.#url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return {
        status: response.status,
        body: parsed,
        capped: response.headers.get('capstan-long-poll') === 'capped',
      };
    } finally {
      this.#timers.clearTimeout(timer);
      signal?.removeEventListener('abort', hangUp);
    }
  }
}
