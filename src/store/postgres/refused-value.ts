import { CapstanError } from '../../errors/catalog.ts';

// SQLSTATE 22021 (character_not_in_repertoire): PostgreSQL text cannot hold a NUL byte, so a
// value carrying one is refused before the statement runs. 22P05: the same, inside JSON.
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** True when the database refused a value the caller sent (not a fault of the store). */
export function isRefusedValue(error: unknown): boolean {
  return error instanceof Error && UNSTORABLE_TEXT.has(String((error as { code?: unknown }).code));
}

/** A refused value is the caller's bad input: a 400, never a 500. */
export function refusedValueError(error: unknown): CapstanError {
  return new CapstanError(
    'invalid_request',
    'A value contains a character the store cannot hold (a NUL byte).',
    undefined,
    { cause: error },
  );
}
