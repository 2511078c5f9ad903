import type { z } from 'zod';
import { CapstanError } from '../errors/catalog.ts';

/** Parses untrusted input with a schema; a mismatch is a 400 listing every field problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new CapstanError('invalid_request', `Invalid ${what}.`, {
    issues: parsed.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message })),
  });
}
