import { requestMessage } from './await-messages.ts';
import type { AwaitRequest, AwaitTransport } from './await-transport.ts';
import type { CallbackSigner } from './callback-signature.ts';

export interface WebhookOptions {
  /** Where requests are POSTed. */
  readonly url: string;
  readonly signer: CallbackSigner;
  /** How long one POST may take; past it the relay retries later. */
  readonly timeoutMs: number;
}

/**
 * An await transport over HTTP: each request is POSTed as JSON to the configured URL with a
 * signed `callbackUrl`, and the completion comes back as a POST to that URL (the coordinator's
 * callback route). A non-2xx answer or a timeout fails the delivery, which the outbox relay
 * retries with backoff. The body's HMAC is in `X-Capstan-Signature`.
 */
export class WebhookAwaitTransport implements AwaitTransport {
  readonly name = 'webhook';
  readonly #o: WebhookOptions;

  constructor(options: WebhookOptions) {
    this.#o = options;
  }

  async publish(request: AwaitRequest): Promise<void> {
    const callbackUrl = this.#o.signer.url({
      tenantId: request.tenantId,
      interactionId: request.interactionId,
      expiresAtMs: request.deadlineAtMs,
    });
    const body = JSON.stringify(requestMessage(request, callbackUrl));
    const answer = await fetch(this.#o.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-capstan-signature': this.#o.signer.bodySignature(body),
        'idempotency-key': `request:${request.interactionId}`,
      },
      body,
      signal: AbortSignal.timeout(this.#o.timeoutMs),
    });
    await answer.body?.cancel();
    if (!answer.ok) throw new Error(`webhook answered ${answer.status}`);
  }

  /** Completions arrive on the callback route. */
  startConsumer(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
