import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessTokens, TokenRole } from '../config/access-tokens.ts';
import { CapstanError } from '../errors/catalog.ts';

/**
 * What a token opens: the roles accepted on each surface. Admin ⊇ operator. Every route declares
 * its surface in its route config (`{ config: { surface } }`); the check runs on the route that
 * matched, after the router has decoded the path, so no spelling of a URL reaches a route
 * without the token its surface asks for.
 */
export const SURFACES = {
  /** Liveness and readiness probes: no token. */
  public: [],
  'control-plane': ['operator', 'admin'],
  admin: ['admin'],
  /** A worker's own register and heartbeat, and reading one release to host it. */
  'worker-lifecycle': ['worker', 'admin'],
  /** `GET /metrics`: what an operator's dashboard reads. */
  metrics: ['operator', 'admin'],
  /** Cluster discovery: any role's token. */
  discovery: ['operator', 'admin', 'worker'],
  /**
   * A webhook's completion: no token; the route checks the HMAC signature of its callback URL,
   * which opens that one interaction until its deadline (`awaits/callback-signature.ts`).
   */
  'signed-callback': [],
} as const satisfies Record<string, readonly TokenRole[]>;
export type Surface = keyof typeof SURFACES;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: see `SURFACES`. Required on every route. */
    surface?: Surface;
  }
  interface FastifyRequest {
    /** The role of the bearer token that opened the route (undefined on public routes). */
    callerRole?: TokenRole;
  }
}

/** Constant-time comparison that does not leak the length either: both sides are hashed first. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The roles a bearer header's token holds (none for a missing, malformed or unknown token). */
export function rolesOfBearer(header: string | undefined, tokens: AccessTokens): TokenRole[] {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return [];
  const token = match[1];
  return (['operator', 'admin', 'worker'] as const).filter((role) => sameSecret(token, tokens[role]));
}

/**
 * Checks the bearer token for a surface and returns the role that opened it. No or unknown
 * token → 401; a valid token of a role that does not open this surface → 403.
 */
export function authorize(request: FastifyRequest, tokens: AccessTokens, surface: Surface): TokenRole {
  const roles = rolesOfBearer(request.headers.authorization, tokens);
  if (roles.length === 0) throw new CapstanError('unauthorized');
  const accepted: readonly TokenRole[] = SURFACES[surface];
  const role = roles.find((r) => accepted.includes(r));
  if (role === undefined) {
    throw new CapstanError('forbidden', `A ${roles.join('/')} token does not open the ${surface} surface.`);
  }
  return role;
}

/** A registered route and the surface that guards it. */
export interface GuardedRoute {
  readonly method: string;
  readonly url: string;
  readonly surface: Surface;
}

const routeTables = new WeakMap<FastifyInstance, readonly GuardedRoute[]>();

/** Every route registered on a guarded server (complete once the server is ready), for audits and tests. */
export function guardedRoutes(app: FastifyInstance): readonly GuardedRoute[] {
  return routeTables.get(app) ?? [];
}

export interface RouteGuardOptions {
  readonly tokens: AccessTokens;
  /** Surfaces switched off by configuration answer 404, as if they did not exist. */
  readonly disabled: ReadonlySet<Surface>;
  /**
   * Path prefixes whose routes a third-party plugin registers without a surface (the API
   * reference page's assets): those alone are public; any other route without one still fails.
   */
  readonly publicPrefixes?: readonly string[];
}

/**
 * Installs the guard: a route registered without a surface fails at start-up (fail closed at
 * build time), and every request is checked against the surface of the route it matched.
 * Must be called before any route is registered.
 */
export function guardRoutes(app: FastifyInstance, options: RouteGuardOptions): void {
  const table: GuardedRoute[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    if (route.config?.surface === undefined && options.publicPrefixes?.some((p) => route.url.startsWith(p))) {
      route.config = { ...route.config, surface: 'public' };
    }
    const surface = route.config?.surface;
    if (surface === undefined || !(surface in SURFACES)) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no surface.`);
    }
    for (const method of [route.method].flat()) table.push({ method, url: route.url, surface });
  });
  app.addHook('onRequest', async (request) => {
    const surface = request.routeOptions.config.surface;
    if (surface === undefined) {
      // Only the not-found handler has no surface; anything else is refused, never let through.
      if (request.is404) return;
      throw new CapstanError('unauthorized');
    }
    if (options.disabled.has(surface)) throw new CapstanError('route_not_found');
    // No role opens these: public, or a route that checks its own credential (a signature).
    if (SURFACES[surface].length === 0) return;
    request.callerRole = authorize(request, options.tokens, surface);
  });
}
