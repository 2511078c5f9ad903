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
 * carry `{"items": {k: element}}` / `{"items": [element…]}`, where TPF's codec encodes each
 * element as an envelope of its own (recursively); an element that is not envelope-shaped is
 * taken as plain JSON. Any other type id is plain JSON. Nothing below an envelope boundary is
 * guessed at, so user data that happens to have an `items` key is left alone.
 *
 * The recursion is bounded by the body: a nested envelope lives inside its parent's `payload`
 * string, escaped once more per level, so each level at least doubles the bytes a body needs;
 * a megabyte holds fewer than twenty levels.
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
  if (!envelope.payloadTypeId || !CONTAINER_TYPES.has(envelope.payloadTypeId)) return value;
  const items = (value as { items?: unknown } | null)?.items;
  if (value === null || typeof value !== 'object' || items === null || typeof items !== 'object') {
    throw new CapstanError(
      'invalid_payload_envelope',
      `A ${envelope.payloadTypeId} payload must be {"items": …}.`,
    );
  }
  return Array.isArray(items)
    ? items.map(decodeElement)
    : Object.fromEntries(Object.entries(items).map(([k, v]) => [k, decodeElement(v)]));
}

function decodeElement(element: unknown): unknown {
  const envelope = payloadEnvelopeSchema.safeParse(element);
  const shaped = envelope.success && (element as Record<string, unknown>).payloadEncoding !== undefined;
  return shaped ? decodeEnvelope(envelope.data) : element;
}

/** Encodes a result as TPF returns a DTO: plain JSON in `payload`, the output type in `payloadTypeId`. */
export function encodeEnvelope(payloadTypeId: string, value: unknown): PayloadEnvelope {
  return { payloadTypeId, payloadEncoding: TPF_PAYLOAD_ENCODING, payload: JSON.stringify(value ?? null) };
}
