import { CapstanError } from '../../errors/catalog.ts';
import type { Clock } from '../../runtime/clock.ts';
import { canonicalJson } from '../../util/canonical-json.ts';
import type { KeyRing } from '../../worker-protocol/key-ring.ts';
import { NonceGuard } from '../../worker-protocol/nonce-guard.ts';
import { RequestVerifier, type Headers } from '../../worker-protocol/request-verifier.ts';
import { SIGNATURE_HEADERS } from '../../worker-protocol/signing.ts';
import type { EndpointAllowList } from './endpoint-allow-list.ts';

/**
 * Who may register a worker where. A registration must name an endpoint the allow-list
 * admits (403 otherwise, whoever asks). Moving an existing worker to another endpoint needs
 * more than a worker token: an admin token, or a registration signed with the worker
 * protocol's shared secret (the worker process signs its own). The signature is the worker
 * protocol's request signature over the canonical JSON of the registration body, so it
 * proves the registration came from a holder of the key that commands are signed with.
 */
export class WorkerRegistrationPolicy {
  readonly #verifiers: readonly RequestVerifier[];
  readonly #allowList: EndpointAllowList;

  constructor(options: {
    /** The worker protocols' key rings (REST, gRPC): a signature under any of them counts. */
    keyRings: readonly KeyRing[];
    allowList: EndpointAllowList;
    clock: Clock;
    toleranceMs: number;
  }) {
    // One replay cache for all rings: a nonce spent under one key ring is spent for all.
    const nonces = new NonceGuard();
    this.#verifiers = options.keyRings.map(
      (keys) => new RequestVerifier({ keys, clock: options.clock, toleranceMs: options.toleranceMs, nonces }),
    );
    this.#allowList = options.allowList;
  }

  /** Refuses an endpoint outside the allow-list (403). */
  checkEndpoint(endpoint: string): void {
    if (!this.#allowList.allows(endpoint))
      throw new CapstanError(
        'worker_endpoint_not_allowed',
        `The endpoint '${endpoint.slice(0, 200)}' is not in capstan.workers.allowed-endpoints.`,
      );
  }

  /** Whether the coordinator may call an endpoint (registrations from before the allow-list too). */
  allowsEndpoint(endpoint: string): boolean {
    return this.#allowList.allows(endpoint);
  }

  /**
   * Whether the registration is signed by a key holder. Unsigned is false; a signature that
   * does not verify (or a replayed one) is refused (403), never taken for unsigned.
   */
  isSigned(request: { method: string; path: string; headers: Headers; body: unknown }): boolean {
    if (request.headers[SIGNATURE_HEADERS.signature] === undefined) return false;
    const signed = { ...request, body: canonicalJson(request.body) };
    const reasons: string[] = [];
    for (const verifier of this.#verifiers) {
      const verification = verifier.verify(signed);
      if (verification.ok) return true;
      reasons.push(verification.reason);
    }
    throw new CapstanError(
      'worker_signature_invalid',
      reasons.length > 0
        ? `The registration signature does not verify: ${reasons.join('; ')}.`
        : 'The registration is signed, but this coordinator has no worker protocol secret to verify it with.',
    );
  }
}
