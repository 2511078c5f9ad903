import type { z } from 'zod';

/** Deeply read-only: what arrives over the wire is read, not edited in place. */
type ReadonlyDeep<T> = T extends readonly (infer Item)[]
  ? readonly ReadonlyDeep<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: ReadonlyDeep<T[K]> }
    : T;

/**
 * The type of a body a schema describes, as the server builds it and the client reads it
 * (`z.output`, read-only throughout).
 */
export type Wire<Schema extends z.ZodType> = ReadonlyDeep<z.output<Schema>>;
