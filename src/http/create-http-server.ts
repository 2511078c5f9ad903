import Fastify, { type FastifyInstance } from 'fastify';
import type { AwaitTransports } from '../awaits/await-transports.ts';
import type { AccessTokens } from '../config/access-tokens.ts';
import type { Coordinator } from '../coordinator/coordinator.ts';
import type { Logger } from '../runtime/logger.ts';
import { CapstanError } from '../errors/catalog.ts';
import { clientErrorHandler, frameworkErrors, installErrorReplies } from '../errors/http-error-replies.ts';
import type { ReleaseRegistrar } from '../releases/release-registrar.ts';
import { textNestsDeeperThan } from '../util/json-nesting.ts';
import { installAccessLog } from './access-log.ts';
import { guardRoutes, type Surface } from './auth.ts';
import { LongPollGate } from './long-poll-gate.ts';
import { DOCS_PREFIX, installOpenApi } from './openapi.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { dlqRoutes } from './routes/dlq-routes.ts';
import { awaitCallbackRoutes } from './routes/await-callback-routes.ts';
import { clusterRoutes } from './routes/cluster-routes.ts';
import { consoleAssetsDir, consoleRoutes, whoamiRoute } from './routes/console-routes.ts';
import { controlPlaneRoutes } from './routes/control-plane-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { releaseRoutes } from './routes/release-routes.ts';
import { scheduleRoutes } from './routes/schedule-routes.ts';
import { workerRoutes } from './routes/worker-routes.ts';
import { pullWorkerRoutes } from './routes/pull-worker-routes.ts';
import { metricsRoute } from '../metrics/metrics-routes.ts';
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
  /** How deep a JSON body may nest objects and arrays. Default 64. */
  readonly maxJsonDepth?: number;
  /** How many result long-polls (`?waitMs=`) may wait at once; past it they answer at once. Default 1000. */
  readonly maxLongPolls?: number;
  /** Submissions per second per tenant on this node; 0 (the default) sets no limit. */
  readonly submitRatePerSecond?: number;
  /** Serve the web console at /console (docs/console.md). Default false. */
  readonly consoleEnabled?: boolean;
  /** The await transports: the webhook's callback route checks signatures with their key. */
  readonly awaitTransports?: AwaitTransports;
}

/**
 * Path parameters may be long enough for our own checks to refuse them in the catalogue
 * shape (tenant ids go to 128, execution ids to 200); the router's 100-character default
 * would answer first.
 */
const MAX_PARAM_LENGTH = 2048;

/**
 * The HTTP API: TPF's paths, JSON everywhere, `{error: {code, message, details?}}` for every
 * refusal. Nothing reaches a route without its surface's bearer token (see `guardRoutes`);
 * nothing is acknowledged before the store has committed it.
 */
export function createHttpServer(options: HttpOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    logger: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  });
  const maxJsonDepth = options.maxJsonDepth ?? 64;
  installAccessLog(app, options.logger);

  // JSON bodies are parsed here so a malformed one is our `invalid_json`, and an empty one is "no body".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') return done(null, undefined);
    if (textNestsDeeperThan(source, maxJsonDepth)) {
      return done(
        new CapstanError('json_too_deep', `The JSON body nests deeper than ${maxJsonDepth} levels.`),
        undefined,
      );
    }
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

  installErrorReplies(app, (error, request) =>
    options.logger.error(
      { err: error, method: request.method, url: request.url },
      'unhandled error in request',
    ),
  );

  const disabled = new Set<Surface>([
    ...(options.controlPlaneEnabled ? [] : (['control-plane'] as const)),
    ...(options.adminEnabled ? [] : (['admin', 'worker-lifecycle'] as const)),
  ]);
  guardRoutes(app, { tokens: options.tokens, disabled, publicPrefixes: [DOCS_PREFIX] });
  // Before the routes: the document generator collects them as they register.
  installOpenApi(app);

  const tenantOf = (raw: string) => checkTenant(raw, options.allowedTenants);
  // The console's static pages: not part of the API, so not in its document.
  if (options.consoleEnabled) consoleRoutes(app, consoleAssetsDir());
  const longPolls = new LongPollGate(options.maxLongPolls ?? 1000);
  // In a plugin, so the routes register after the generator has loaded.
  void app.register(async (api) => {
    healthRoutes(api, options.coordinator);
    clusterRoutes(api, options.coordinator, {
      controlPlane: options.controlPlaneEnabled,
      admin: options.adminEnabled,
      awaitTransports: options.awaitTransports?.names ?? [],
      submitRatePerSecond: options.submitRatePerSecond ?? 0,
    });
    whoamiRoute(api, options.tokens);
    // In a scope of its own: the submit rate limit's hooks apply to these routes only.
    void api.register(async (scope) =>
      controlPlaneRoutes(scope, options.coordinator, tenantOf, {
        longPolls,
        submitRatePerSecond: options.submitRatePerSecond ?? 0,
      }),
    );
    adminRoutes(api, options.coordinator, tenantOf);
    dlqRoutes(api, options.coordinator, tenantOf);
    releaseRoutes(api, options.coordinator, options.registrar, tenantOf);
    scheduleRoutes(api, options.coordinator, tenantOf);
    workerRoutes(api, options.coordinator, tenantOf);
    pullWorkerRoutes(api, options.coordinator, tenantOf, { longPolls });
    metricsRoute(api, options.coordinator.metrics);
    awaitCallbackRoutes(api, options.coordinator, options.awaitTransports, tenantOf);
  });
  return app;
}
