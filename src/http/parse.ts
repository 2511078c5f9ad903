import type { z } from 'zod';
import { CapstanError } from '../errors/catalog.ts';

/** One field problem as `details.issues[]` carries it: where, what, and what would be accepted. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
  /** The values accepted, when the field takes one of a fixed set (an enum). */
  readonly allowed?: readonly unknown[];
  /** The bounds, when the value was out of range (numbers) or of length (strings, lists). */
  readonly minimum?: number;
  readonly maximum?: number;
}

function fieldIssue(issue: z.core.$ZodIssue): FieldIssue {
  const base = { path: `/${issue.path.join('/')}`, message: issue.message };
  if (issue.code === 'invalid_value') return { ...base, allowed: issue.values };
  if (issue.code === 'too_small') return { ...base, minimum: Number(issue.minimum) };
  if (issue.code === 'too_big') return { ...base, maximum: Number(issue.maximum) };
  return base;
}

/**
 * Parses untrusted input with a schema; a mismatch is a 400 whose message names the first
 * offending field (`Invalid query: limit: …`) and whose details list every field problem,
 * with the accepted values or bounds where the schema has them. For a query, `parameter`
 * names the first offending query parameter.
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(fieldIssue);
  const first = parsed.error.issues[0];
  const field = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  const parameter = what === 'query' && first?.path[0] !== undefined ? String(first.path[0]) : undefined;
  throw new CapstanError('invalid_request', `Invalid ${what}: ${field}${first?.message ?? 'malformed'}.`, {
    ...(parameter === undefined ? {} : { parameter }),
    issues,
  });
}
