import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccessTokens } from '../config/access-tokens.ts';
import { CapstanError } from '../errors/catalog.ts';

export type Role = 'operator' | 'admin';

/** Constant-time comparison that does not leak the length either: both sides are hashed first. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Checks the bearer token for a surface. No or unknown token → 401; a valid token of a role
 * that does not open this surface → 403. The admin token opens the operator surface too.
 */
export function authorize(request: FastifyRequest, tokens: AccessTokens, role: Role): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new CapstanError('unauthorized');
  const token = match[1];
  const isAdmin = sameSecret(token, tokens.admin);
  const isOperator = sameSecret(token, tokens.operator);
  if (isAdmin || (role === 'operator' && isOperator)) return;
  if (isOperator) throw new CapstanError('forbidden', 'The operator token does not open the admin surface.');
  throw new CapstanError('unauthorized');
}
