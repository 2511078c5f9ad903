/**
 * Request and response signatures of the worker protocol (docs/worker-protocol.md#signing):
 * `hex(HMAC-SHA256(secret, METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(sha256(body))))`, TPF's
 * scheme byte for byte. Capstan goes further in two ways: a key id names the secret (so keys
 * can rotate without downtime), and responses are signed too, over a string that starts with
 * `RESPONSE <status>` (never a request method) and repeats the request's nonce, so a response
 * cannot be replayed as a request nor as the answer to another request.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Header names, lower-case as Node presents them. */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-tpf-worker-timestamp',
  nonce: 'x-tpf-worker-nonce',
  signature: 'x-tpf-worker-signature',
  /** Capstan's: which secret signed. Absent means the default secret, as TPF clients send it. */
  keyId: 'x-capstan-worker-key-id',
} as const;

export const sha256Hex = (body: string | Uint8Array): string =>
  createHash('sha256').update(body).digest('hex');

export function requestSigningString(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  body: string | Uint8Array,
): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${sha256Hex(body)}`;
}

export function responseSigningString(
  status: number,
  path: string,
  timestamp: string,
  requestNonce: string,
  body: string | Uint8Array,
): string {
  return `RESPONSE ${status}\n${path}\n${timestamp}\n${requestNonce}\n${sha256Hex(body)}`;
}

export const hmacHex = (secret: string, text: string): string =>
  createHmac('sha256', secret).update(text).digest('hex');

/** Compares a received hex signature with the expected one in constant time. */
export function signatureMatches(expectedHex: string, receivedHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(receivedHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(receivedHex.toLowerCase(), 'hex'));
}

/** TPF writes `Instant.now().toString()`: ISO-8601 in UTC. */
export const timestampOf = (epochMs: number): string => new Date(epochMs).toISOString();

/** Epoch ms of a signature timestamp, or undefined when it is not an ISO-8601 instant. */
export function parseTimestamp(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
