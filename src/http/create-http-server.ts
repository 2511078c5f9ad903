import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AccessTokens } from '../config/access-tokens.ts';
import type { Coordinator } from '../coordinator/coordinator.ts';
import type { Logger } from '../coordinator/logger.ts';
import { CapstanError, errorCatalog, type ErrorCode } from '../errors/catalog.ts';
import { authorize, roleOfToken } from './auth.ts';
import type { ReleaseRegistrar } from '../releases/release-registrar.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { clusterRoutes } from './routes/cluster-routes.ts';
import { controlPlaneRoutes } from './routes/control-plane-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { releaseRoutes } from './routes/release-routes.ts';
import { workerRoutes } from './routes/worker-routes.ts';
import { checkTenant } from './tenant.ts';

export interface HttpOptions {
  readonly coordinator: Coordinator;
  readonly tokens: AccessTokens;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly registrar: ReleaseRegistrar;
  /** The limit for uploaded release archives (`application/gzip` bodies). */
  readonly uploadLimitBytes: number;
  readonly allowedTenants: ReadonlySet<string>;
  readonly controlPlaneEnabled: boolean;
  readonly adminEnabled: boolean;
}

/** The admin routes a worker token may call: its own registration and heartbeat. */
const WORKER_LIFECYCLE_PATH =
  /^\/tpf\/admin\/tenants\/[^/]+\/pipelines\/[^/]+\/workers\/(register|[^/]+\/heartbeat)$/;
/** And one release, read: a worker told to host `<pipelineId>@<version>` learns its artifact there. */
const WORKER_RELEASE_PATH = /^\/tpf\/admin\/tenants\/[^/]+\/pipelines\/[^/]+\/releases\/[^/]+$/;

const body = (code: ErrorCode, message?: string, details?: unknown) => ({
  error: {
    code,
    message: message ?? errorCatalog[code].message,
    ...(details === undefined ? {} : { details }),
  },
});

/** Maps Fastify's own request errors (parsing, size, media type) onto the catalogue. */
function frameworkErrorCode(error: FastifyError): ErrorCode | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_request';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    default:
      if (error.statusCode === 413) return 'payload_too_large';
      if (error.statusCode === 415) return 'unsupported_media_type';
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
        return 'invalid_request';
      return undefined;
  }
}

/**
 * The HTTP API: TPF's paths, JSON everywhere, `{error: {code, message, details?}}` for every
 * refusal. Nothing reaches a route without its role's bearer token; nothing is acknowledged
 * before the store has committed it.
 */
export function createHttpServer(options: HttpOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimitBytes, logger: false, return503OnClosing: true });

  // JSON bodies are parsed here so a malformed one is our `invalid_json`, and an empty one is "no body".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(source));
    } catch {
      done(new CapstanError('invalid_json'), undefined);
    }
  });

  // Uploaded release folders arrive as gzip-compressed tar archives.
  app.addContentTypeParser(
    ['application/gzip', 'application/x-gzip', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: options.uploadLimitBytes },
    (_request, bytes, done) => done(null, bytes),
  );

  app.setErrorHandler((error: FastifyError | CapstanError, request, reply) => {
    if (error instanceof CapstanError) {
      if (error.code === 'store_unavailable') void reply.header('retry-after', '2');
      return reply.code(error.status).send(body(error.code, error.message, error.details ?? undefined));
    }
    const code = frameworkErrorCode(error);
    if (code) return reply.code(errorCatalog[code].status).send(body(code, error.message));
    options.logger.error(
      { err: error, method: request.method, url: request.url },
      'unhandled error in request',
    );
    return reply.code(500).send(body('internal_error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(body('route_not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`)),
  );

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/tpf/control-plane/')) {
      if (!options.controlPlaneEnabled) throw new CapstanError('route_not_found');
      authorize(request, options.tokens, 'control-plane');
    } else if (path === '/api/cluster/info') {
      authorize(request, options.tokens, 'discovery');
    } else if (path.startsWith('/tpf/admin/')) {
      if (!options.adminEnabled) throw new CapstanError('route_not_found');
      const workerCall =
        (request.method === 'POST' && WORKER_LIFECYCLE_PATH.test(path)) ||
        (request.method === 'GET' && WORKER_RELEASE_PATH.test(path));
      authorize(request, options.tokens, workerCall ? 'worker-lifecycle' : 'admin');
    }
  });

  const tenantOf = (raw: string) => checkTenant(raw, options.allowedTenants);
  healthRoutes(app, options.coordinator);
  clusterRoutes(app, options.coordinator);
  controlPlaneRoutes(app, options.coordinator, tenantOf);
  adminRoutes(app, options.coordinator, tenantOf);
  releaseRoutes(app, options.coordinator.store, options.registrar, tenantOf);
  workerRoutes(app, options.coordinator, tenantOf, (request) =>
    roleOfToken(options.tokens, request.headers.authorization),
  );
  return app;
}
