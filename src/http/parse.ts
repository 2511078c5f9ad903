import type { z } from 'zod';
import { CapstanError } from '../errors/catalog.ts';

/**
 * Parses untrusted input with a schema; a mismatch is a 400 whose message names the first
 * offending field (`Invalid query: limit: …`) and whose details list every field problem.
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message }));
  const first = parsed.error.issues[0];
  const field = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  throw new CapstanError('invalid_request', `Invalid ${what}: ${field}${first?.message ?? 'malformed'}.`, {
    issues,
  });
}
