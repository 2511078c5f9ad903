import type { FastifyInstance } from 'fastify';
import type { Logger } from '../runtime/logger.ts';

/**
 * One debug line per answered request: method, the route's template (never the raw URL, so ids,
 * query strings and whatever a client put in them stay out of the log), status and duration.
 * Headers and bodies are never logged: tokens and payloads do not leave through the log.
 */
export function installAccessLog(app: FastifyInstance, logger: Logger): void {
  // A server that writes no debug lines pays nothing per request.
  if (logger.isLevelEnabled?.('debug') === false) return;
  app.addHook('onResponse', (request, reply, done) => {
    logger.debug(
      {
        event: 'http.request',
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request answered',
    );
    done();
  });
}
