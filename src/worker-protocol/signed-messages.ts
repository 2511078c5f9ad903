import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { KeyRing } from './key-ring.ts';
import type { Headers } from './request-verifier.ts';
import {
  hmacHex,
  parseTimestamp,
  requestSigningString,
  responseSigningString,
  SIGNATURE_HEADERS,
  signatureMatches,
  timestampOf,
} from './signing.ts';

/**
 * The parts of a signature, wherever a protocol carries them: REST in headers, gRPC in fields
 * of its messages. `keyId` undefined means the default secret.
 */
export interface SignatureFields {
  readonly timestamp: string;
  readonly nonce: string;
  readonly signature: string;
  readonly keyId?: string | undefined;
}

/** Signs a request with the ring's signing key; its `nonce` is what the response must repeat. */
export function requestSignature(
  keys: KeyRing,
  time: { clock: Clock; random: Random },
  request: { method: string; path: string; body: string | Uint8Array },
): SignatureFields {
  const { keyId, secret } = keys.signingKey();
  const timestamp = timestampOf(time.clock.now());
  const nonce = time.random.uuid();
  const signature = hmacHex(
    secret,
    requestSigningString(request.method, request.path, timestamp, nonce, request.body),
  );
  return { timestamp, nonce, signature, keyId };
}

/** The headers that sign a request with the ring's signing key; `nonce` is for matching the response. */
export function signRequest(
  keys: KeyRing,
  time: { clock: Clock; random: Random },
  request: { method: string; path: string; body: string | Uint8Array },
): { headers: Record<string, string>; nonce: string; keyId: string | undefined } {
  const { timestamp, nonce, signature, keyId } = requestSignature(keys, time, request);
  return {
    nonce,
    keyId,
    headers: {
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: signature,
      ...(keyId === undefined ? {} : { [SIGNATURE_HEADERS.keyId]: keyId }),
    },
  };
}

/**
 * Signs a response with the secret its request was verified with. `status` is the HTTP status,
 * or 0 (gRPC's OK) for a gRPC answer.
 */
export function responseSignature(
  secret: string,
  clock: Clock,
  response: { status: number; path: string; requestNonce: string; body: string | Uint8Array },
): SignatureFields {
  const timestamp = timestampOf(clock.now());
  const signature = hmacHex(
    secret,
    responseSigningString(response.status, response.path, timestamp, response.requestNonce, response.body),
  );
  return { timestamp, nonce: response.requestNonce, signature };
}

/** The headers that sign a response with the secret its request was verified with. */
export function signResponse(
  secret: string,
  clock: Clock,
  response: { status: number; path: string; requestNonce: string; body: string | Uint8Array },
): Record<string, string> {
  const { timestamp, nonce, signature } = responseSignature(secret, clock, response);
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
  };
}

/**
 * Checks that a response comes from a holder of the request's key and answers this request
 * (its nonce), within the tolerance. Returns why it does not, or undefined when it does.
 */
export function responseProblem(
  keys: KeyRing,
  keyId: string | undefined,
  clock: Clock,
  toleranceMs: number,
  response: {
    status: number;
    path: string;
    requestNonce: string;
    headers: Headers;
    body: string | Uint8Array;
  },
): string | undefined {
  const header = (name: string) => {
    const value = response.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return responseSignatureProblem(keys, keyId, clock, toleranceMs, {
    ...response,
    timestamp: header(SIGNATURE_HEADERS.timestamp),
    nonce: header(SIGNATURE_HEADERS.nonce),
    signature: header(SIGNATURE_HEADERS.signature),
  });
}

/** `responseProblem` for a protocol that carries the signature in fields of its answer. */
export function responseSignatureProblem(
  keys: KeyRing,
  keyId: string | undefined,
  clock: Clock,
  toleranceMs: number,
  response: {
    status: number;
    path: string;
    requestNonce: string;
    timestamp: string | undefined;
    nonce: string | undefined;
    signature: string | undefined;
    body: string | Uint8Array;
  },
): string | undefined {
  const { timestamp, signature } = response;
  if (!timestamp || !signature) return 'the response is not signed';
  if (response.nonce !== response.requestNonce) return 'the response answers another request';
  const signedAtMs = parseTimestamp(timestamp);
  if (signedAtMs === undefined || Math.abs(clock.now() - signedAtMs) > toleranceMs)
    return 'the response timestamp is outside the tolerance';
  const secret = keys.secretFor(keyId);
  if (secret === undefined) return `no secret for key id '${String(keyId)}'`;
  const expected = hmacHex(
    secret,
    responseSigningString(response.status, response.path, timestamp, response.requestNonce, response.body),
  );
  return signatureMatches(expected, signature) ? undefined : 'the response signature does not match';
}
