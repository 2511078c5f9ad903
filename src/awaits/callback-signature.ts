import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a webhook's completion is posted: its tenant and interaction, and how long the URL holds. */
export interface CallbackTarget {
  readonly tenantId: string;
  readonly interactionId: string;
  readonly expiresAtMs: number;
}

export type CallbackCheck = 'valid' | 'invalid' | 'expired';

/** The callback route; `:tenantId` and `:interactionId` are the signed target's. */
export const CALLBACK_ROUTE = '/api/awaits/tenants/:tenantId/interactions/:interactionId/callback';

/**
 * Signs and checks webhook callback URLs. The signature is an HMAC-SHA256 of the tenant,
 * interaction and expiry under the webhook key: whoever holds the URL may complete that one
 * interaction until it expires (the interaction's deadline), and nothing else. It is the
 * callback route's only credential.
 */
export class CallbackSigner {
  readonly #key: string;
  readonly #baseUrl: string;

  constructor(key: string, baseUrl: string) {
    this.#key = key;
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
  }

  url(target: CallbackTarget): string {
    const path = CALLBACK_ROUTE.replace(':tenantId', encodeURIComponent(target.tenantId)).replace(
      ':interactionId',
      encodeURIComponent(target.interactionId),
    );
    const query = new URLSearchParams({
      expires: String(target.expiresAtMs),
      signature: this.#sign(target),
    });
    return `${this.#baseUrl}${path}?${query.toString()}`;
  }

  /** Checks the signature first: an expiry is only trusted once it is known to be ours. */
  check(target: CallbackTarget, signature: string, nowMs: number): CallbackCheck {
    const expected = Buffer.from(this.#sign(target));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return nowMs > target.expiresAtMs ? 'expired' : 'valid';
  }

  /** The signature of a request body, sent as `X-Capstan-Signature` so a receiver can check its origin. */
  bodySignature(body: string): string {
    return `sha256=${createHmac('sha256', this.#key).update(body).digest('hex')}`;
  }

  #sign(t: CallbackTarget): string {
    return createHmac('sha256', this.#key)
      .update(`capstan.callback\n${t.tenantId}\n${t.interactionId}\n${t.expiresAtMs}`)
      .digest('base64url');
  }
}
