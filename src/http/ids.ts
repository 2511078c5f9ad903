import { z } from 'zod';

/**
 * The shapes of the ids the API takes in paths, queries and bodies. Ids reach store queries,
 * log lines and other nodes' notifications, so control characters (NUL above all, which
 * PostgreSQL refuses in text) are refused at the edge with a 400 naming the field.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/** An id Capstan issued or a client chose: 1 to `max` characters, none of them control characters. */
export const opaqueId = (max = 200) =>
  z.string().min(1).max(max).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

/** A pipeline id, as `definePipeline` accepts it. */
export const pipelineId = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$/, 'a pipeline id');

/** Free text a person typed (an actor's name): any length up to `max`, no control characters. */
export const plainText = (max: number) =>
  z.string().max(max).regex(NO_CONTROL_CHARACTERS, 'must not contain control characters');

/** Idempotency keys, from the body or the `Idempotency-Key` header. */
export const idempotencyKey = opaqueId(512);
