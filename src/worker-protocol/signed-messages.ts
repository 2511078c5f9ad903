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

/** The headers that sign a request with the ring's signing key; `nonce` is for matching the response. */
export function signRequest(
  keys: KeyRing,
  time: { clock: Clock; random: Random },
  request: { method: string; path: string; body: string | Uint8Array },
): { headers: Record<string, string>; nonce: string; keyId: string | undefined } {
  const { keyId, secret } = keys.signingKey();
  const timestamp = timestampOf(time.clock.now());
  const nonce = time.random.uuid();
  const signature = hmacHex(
    secret,
    requestSigningString(request.method, request.path, timestamp, nonce, request.body),
  );
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

/** The headers that sign a response with the secret its request was verified with. */
export function signResponse(
  secret: string,
  clock: Clock,
  response: { status: number; path: string; requestNonce: string; body: string | Uint8Array },
): Record<string, string> {
  const timestamp = timestampOf(clock.now());
  const signature = hmacHex(
    secret,
    responseSigningString(response.status, response.path, timestamp, response.requestNonce, response.body),
  );
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: response.requestNonce,
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
  const timestamp = header(SIGNATURE_HEADERS.timestamp);
  const signature = header(SIGNATURE_HEADERS.signature);
  if (!timestamp || !signature) return 'the response is not signed';
  if (header(SIGNATURE_HEADERS.nonce) !== response.requestNonce)
    return 'the response answers another request';
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
