import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { whoamiSchema, type Whoami } from '../../api-schema/cluster.ts';
import type { AccessTokens } from '../../config/access-tokens.ts';
import { answerAsReturned } from '../answer-as-returned.ts';
import { rolesOfBearer } from '../auth.ts';

/**
 * Where the built console lives: beside the compiled modules in the package (dist/console, next
 * to dist/http), or in the clone's dist/ when the server runs from src/ through tsx.
 */
export function consoleAssetsDir(): string | undefined {
  const here = import.meta.dirname;
  const candidates = [join(here, '../../console'), join(here, '../../../dist/console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const NOT_BUILT = `<!doctype html><html><head><meta charset="utf-8"><title>Capstan console</title></head>
<body><h1>The Capstan console is not built</h1>
<p>Its assets (dist/console) are missing. Run <code>npm run build</code> (it runs at
<code>npm install</code>), then reload.</p></body></html>`;

/** Security headers for the console's pages: no framing, nothing loaded from elsewhere. */
function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    );
}

/**
 * The web console (docs/console.md): static files under /console, and index.html for every
 * other path below it (the single-page app routes in the browser). The pages are public — they
 * hold no data; every API call they make carries the token typed at login as a Bearer header.
 * `assetsDir` undefined (not built): every console path answers 503 saying how to build it.
 */
export function consoleRoutes(app: FastifyInstance, assetsDir: string | undefined): void {
  const serve = async (path: string, reply: FastifyReply) => {
    if (assetsDir === undefined) {
      return secure(reply).code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    }
    const relative = normalize(path).replace(/^([/\\])+/, '');
    const file = join(assetsDir, relative);
    const inside = file.startsWith(assetsDir + sep);
    const asset = inside && extname(file) !== '' && existsSync(file) ? file : join(assetsDir, 'index.html');
    const type = TYPES[extname(asset)] ?? 'application/octet-stream';
    // Hashed asset names never change content; index.html must be fetched afresh.
    const cache = asset.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
    return secure(reply).type(type).header('cache-control', cache).send(readFileSync(asset));
  };
  const route = { config: { surface: 'public' as const }, schema: { hide: true } };
  app.get('/console', route, async (_request, reply) => serve('index.html', reply));
  app.get<{ Params: { '*': string } }>('/console/*', route, async (request, reply) =>
    serve(request.params['*'], reply),
  );
}

/**
 * The role of the caller's token, so the console shows what that role may do. A token configured
 * for both operator and admin is admin (admin ⊇ operator).
 */
export function whoamiRoute(app: FastifyInstance, tokens: AccessTokens): void {
  answerAsReturned(app);
  const schema = {
    summary: "The role of the caller's token (operator, admin or worker)",
    response: { 200: whoamiSchema },
  };
  app.get('/api/whoami', { config: { surface: 'discovery' }, schema }, async (request) => {
    const roles = rolesOfBearer(request.headers.authorization, tokens);
    // The discovery surface's guard let the request in, so it named the caller's role.
    return { role: roles.includes('admin') ? 'admin' : request.callerRole } satisfies Partial<Whoami>;
  });
}
