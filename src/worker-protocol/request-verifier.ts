import type { Clock } from '../runtime/clock.ts';
import type { KeyRing } from './key-ring.ts';
import { NonceGuard } from './nonce-guard.ts';
import {
  hmacHex,
  parseTimestamp,
  requestSigningString,
  SIGNATURE_HEADERS,
  signatureMatches,
} from './signing.ts';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export type Verification =
  | { readonly ok: true; readonly keyId: string | undefined; readonly nonce: string }
  /** 401 for a request that is not proven to come from a key holder. */
  | { readonly ok: false; readonly status: 401; readonly reason: string }
  /**
   * 503 when the replay cache is full: the request is a key holder's, so the refusal can be
   * signed with its key over its nonce, telling the caller for certain that nothing ran.
   */
  | {
      readonly ok: false;
      readonly status: 503;
      readonly reason: string;
      readonly keyId: string | undefined;
      readonly nonce: string;
    };

const single = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Checks a signed request as TPF does (timestamp within the tolerance, then the HMAC in
 * constant time, then the nonce), with the key its key id names. Nothing about the request
 * is trusted until this passes, so it runs before the body is parsed.
 */
export class RequestVerifier {
  readonly #keys: KeyRing;
  readonly #clock: Clock;
  readonly #toleranceMs: number;
  readonly #nonces: NonceGuard;

  constructor(options: { keys: KeyRing; clock: Clock; toleranceMs: number; nonces?: NonceGuard }) {
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.#toleranceMs = options.toleranceMs;
    this.#nonces = options.nonces ?? new NonceGuard();
  }

  verify(request: {
    method: string;
    path: string;
    headers: Headers;
    body: string | Uint8Array;
  }): Verification {
    const { headers } = request;
    const timestamp = single(headers, SIGNATURE_HEADERS.timestamp);
    const nonce = single(headers, SIGNATURE_HEADERS.nonce);
    const signature = single(headers, SIGNATURE_HEADERS.signature);
    if (!timestamp || !nonce || !signature)
      return { ok: false, status: 401, reason: 'missing signature headers' };
    const keyId = single(headers, SIGNATURE_HEADERS.keyId);
    return this.verifyFields({ ...request, timestamp, nonce, signature, keyId });
  }

  /** `verify` for a protocol that carries the signature in fields of its messages (gRPC). */
  verifyFields(request: {
    method: string;
    path: string;
    timestamp: string | undefined;
    nonce: string | undefined;
    signature: string | undefined;
    keyId: string | undefined;
    body: string | Uint8Array;
  }): Verification {
    const refuse = (reason: string): Verification => ({ ok: false, status: 401, reason });
    const { timestamp, nonce, signature } = request;
    if (!timestamp || !nonce || !signature) return refuse('missing signature fields');
    if (nonce.length < 8 || nonce.length > 200) return refuse('malformed nonce');
    const keyId = request.keyId || undefined;
    const secret = this.#keys.secretFor(keyId);
    if (secret === undefined) return refuse(keyId ? `unknown key id '${keyId}'` : 'no default key');
    const signedAtMs = parseTimestamp(timestamp);
    const nowMs = this.#clock.now();
    if (signedAtMs === undefined) return refuse('malformed timestamp');
    if (Math.abs(nowMs - signedAtMs) > this.#toleranceMs) return refuse('timestamp outside the tolerance');
    const expected = hmacHex(
      secret,
      requestSigningString(request.method, request.path, timestamp, nonce, request.body),
    );
    if (!signatureMatches(expected, signature)) return refuse('signature mismatch');
    const admitted = this.#nonces.admit(nonce, signedAtMs + this.#toleranceMs, nowMs);
    if (admitted === 'replayed') return refuse('nonce already used');
    if (admitted === 'full') return { ok: false, status: 503, reason: 'replay cache full', keyId, nonce };
    return { ok: true, keyId, nonce };
  }
}
