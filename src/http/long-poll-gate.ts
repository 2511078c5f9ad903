import type { FastifyReply } from 'fastify';

/** The header a long-poll answered early because the gate was full carries. */
export const LONG_POLL_CAPPED_HEADER = 'capstan-long-poll';

/**
 * Bounds the result long-polls (`?waitMs=`) waiting at once on this node. Each waiter holds a
 * store listener and a timer; without a bound, clients could park any number of them. A poll
 * that finds the gate full answers at once with the current status, as a poll with
 * `waitMs=0` would, marked `capstan-long-poll: capped`: clients poll again, nothing is lost and
 * nobody is refused. A client that hangs up frees its place and its waiter at once.
 */
export class LongPollGate {
  readonly #max: number;
  #waiting = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** How many long-polls wait now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Runs `wait` for up to `waitMs` inside the gate; `signal` aborts when the client hangs up. */
  async run<T>(
    reply: FastifyReply,
    waitMs: number,
    wait: (waitMs: number, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const abort = new AbortController();
    if (waitMs === 0) return wait(0, abort.signal);
    if (this.#waiting >= this.#max) {
      void reply.header(LONG_POLL_CAPPED_HEADER, 'capped');
      return wait(0, abort.signal);
    }
    this.#waiting++;
    const response = reply.raw;
    // 'close' also follows a finished answer; only a close before the answer is a hang-up.
    const hangUp = (): void => {
      if (!response.writableFinished) abort.abort();
    };
    response.once('close', hangUp);
    try {
      return await wait(waitMs, abort.signal);
    } finally {
      response.off('close', hangUp);
      this.#waiting--;
    }
  }
}
