import { z } from 'zod';
import { CapstanError } from '../errors/catalog.ts';

export const TPF_PAYLOAD_ENCODING = 'application/tpf-transition+json';

/** TPF's serialized payload: a JSON document carried as a string. */
export const payloadEnvelopeSchema = z.object({
  payloadTypeId: z.string().nullish(),
  payloadEncoding: z.string().nullish(),
  payload: z.string(),
});
export type PayloadEnvelope = z.output<typeof payloadEnvelopeSchema>;

const CONTAINER_TYPES = new Set(['java.util.Map', 'java.util.List', 'java.util.Set', 'java.util.Collection']);

/**
 * Decodes an envelope to plain JSON. Container type ids (`java.util.Map`, `java.util.List`…)
 * use TPF's recursive encoding, `{"items": {k: encoded}}` / `{"items": [encoded…]}`, which is
 * unwrapped at every level; any other type id is plain JSON.
 */
export function decodeEnvelope(envelope: PayloadEnvelope): unknown {
  if (envelope.payloadEncoding && envelope.payloadEncoding !== TPF_PAYLOAD_ENCODING) {
    throw new CapstanError(
      'invalid_payload_envelope',
      `Unsupported payloadEncoding '${envelope.payloadEncoding}'.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(envelope.payload);
  } catch {
    throw new CapstanError('invalid_payload_envelope', 'The envelope payload is not valid JSON.');
  }
  if (envelope.payloadTypeId === 'null') return null;
  return envelope.payloadTypeId && CONTAINER_TYPES.has(envelope.payloadTypeId) ? unwrapItems(value) : value;
}

function isItemsWrapper(value: unknown): value is { items: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const items = (value as { items?: unknown }).items;
  return keys.length === 1 && keys[0] === 'items' && items !== null && typeof items === 'object';
}

function unwrapItems(value: unknown): unknown {
  if (isItemsWrapper(value)) return unwrapItems(value.items);
  if (Array.isArray(value)) return value.map(unwrapItems);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapItems(v)]));
  }
  return value;
}

/** Encodes a result as TPF returns a DTO: plain JSON in `payload`, the output type in `payloadTypeId`. */
export function encodeEnvelope(payloadTypeId: string, value: unknown): PayloadEnvelope {
  return { payloadTypeId, payloadEncoding: TPF_PAYLOAD_ENCODING, payload: JSON.stringify(value ?? null) };
}
