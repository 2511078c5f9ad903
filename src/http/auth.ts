import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccessTokens, TokenRole } from '../config/access-tokens.ts';
import { CapstanError } from '../errors/catalog.ts';

/** What a token opens: the roles accepted on each surface. Admin ⊇ operator. */
export const SURFACES = {
  'control-plane': ['operator', 'admin'],
  admin: ['admin'],
  /** Worker register and heartbeat, and reading a release to host: a worker token, or the admin token. */
  'worker-lifecycle': ['worker', 'admin'],
  /** Cluster discovery: any role's token. */
  discovery: ['operator', 'admin', 'worker'],
} as const satisfies Record<string, readonly TokenRole[]>;
export type Surface = keyof typeof SURFACES;

/** Constant-time comparison that does not leak the length either: both sides are hashed first. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Checks the bearer token for a surface. No or unknown token → 401; a valid token of a role
 * that does not open this surface → 403.
 */
export function authorize(request: FastifyRequest, tokens: AccessTokens, surface: Surface): void {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new CapstanError('unauthorized');
  const token = match[1];
  const roles = (['operator', 'admin', 'worker'] as const).filter((role) => sameSecret(token, tokens[role]));
  if (roles.length === 0) throw new CapstanError('unauthorized');
  const accepted: readonly TokenRole[] = SURFACES[surface];
  if (!roles.some((role) => accepted.includes(role))) {
    throw new CapstanError('forbidden', `A ${roles.join('/')} token does not open the ${surface} surface.`);
  }
}

/**
 * The role a bearer header's token belongs to, by the same comparison as `authorize`; the
 * most privileged one when several roles share a token. Undefined for no or an unknown token.
 */
export function roleOfToken(tokens: AccessTokens, header: string | undefined): TokenRole | undefined {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const token = match?.[1];
  if (!token) return undefined;
  return (['admin', 'operator', 'worker'] as const).find((role) => sameSecret(token, tokens[role]));
}
