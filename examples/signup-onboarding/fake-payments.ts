/**
 * A stand-in for a payment provider (Stripe, Adyen…), kept in memory so the example runs with
 * nothing else installed. It behaves like the real ones in the way that matters here: a charge
 * request carries an idempotency key, and a second request with a key it has seen returns the
 * first charge instead of charging again.
 *
 * Test card `tok_slow_network` reproduces the case the key exists for: the provider charges the
 * card but its answer never arrives (the request hangs until the caller gives up). The caller
 * cannot tell whether the charge happened; retrying under the same key is safe either way.
 */
import { randomUUID } from 'node:crypto';

export interface ChargeRequest {
  readonly customerId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly cardToken: string;
}

export interface Charge extends ChargeRequest {
  readonly chargeId: string;
  readonly createdAt: string;
}

export class CardDeclinedError extends Error {
  readonly code = 'card_declined';
  constructor() {
    super('the card was declined');
    this.name = 'CardDeclinedError';
  }
}

const charges = new Map<string, Charge>();
/** How many charge requests each key has seen, replays included. */
const requests = new Map<string, number>();

export const payments = {
  /** Charges once per idempotency key; a replay of a key returns the charge it made. */
  async charge(
    request: ChargeRequest,
    options: { idempotencyKey: string; signal?: AbortSignal },
  ): Promise<Charge> {
    const seen = requests.get(options.idempotencyKey) ?? 0;
    requests.set(options.idempotencyKey, seen + 1);
    const existing = charges.get(options.idempotencyKey);
    if (existing) return existing;
    if (request.cardToken === 'tok_declined') throw new CardDeclinedError();
    const charge: Charge = {
      ...request,
      chargeId: `ch_${randomUUID()}`,
      createdAt: new Date().toISOString(),
    };
    charges.set(options.idempotencyKey, charge);
    if (request.cardToken === 'tok_slow_network' && seen === 0) await lostReply(options.signal);
    return charge;
  },

  /** Charges the provider made for a key: what a dashboard would show. */
  chargesFor(idempotencyKey: string): number {
    return charges.has(idempotencyKey) ? 1 : 0;
  },

  /** Requests the provider received for a key. */
  requestsFor(idempotencyKey: string): number {
    return requests.get(idempotencyKey) ?? 0;
  },
};

/** The answer is lost on the way back: the request hangs until the caller aborts it. */
function lostReply(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    const giveUp = () => reject(new Error('connection reset while waiting for the provider'));
    if (signal?.aborted) giveUp();
    else signal?.addEventListener('abort', giveUp, { once: true });
  });
}
