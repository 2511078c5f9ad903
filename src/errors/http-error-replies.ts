import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CapstanError, errorCatalog, type ErrorCode } from './catalog.ts';

/** The one refusal shape every Capstan listener answers with: `{error: {code, message, details?}}`. */
export const errorBody = (code: ErrorCode, message?: string, details?: unknown) => ({
  error: {
    code,
    message: message ?? errorCatalog[code].message,
    ...(details === undefined ? {} : { details }),
  },
});

/** Maps Fastify's own request errors (parsing, size, media type, URL) onto the catalogue. */
export function frameworkErrorCode(error: FastifyError): ErrorCode | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'uri_too_long';
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'invalid_request';
    default:
      if (error.statusCode === 413) return 'payload_too_large';
      if (error.statusCode === 414) return 'uri_too_long';
      if (error.statusCode === 415) return 'unsupported_media_type';
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
        return 'invalid_request';
      return undefined;
  }
}

/**
 * Fastify's `frameworkErrors` option: a URL the router cannot decode, or a path parameter past
 * `maxParamLength`, answered in the catalogue shape instead of the framework's.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const code = frameworkErrorCode(error) ?? 'invalid_request';
  void reply.code(errorCatalog[code].status).send(errorBody(code));
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (malformed, headers too
 * large, too slow) never reaches a route; it still gets a catalogue-shaped answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'request_header_too_large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : 'invalid_request';
  const status = errorCatalog[code].status;
  const text = JSON.stringify(errorBody(code));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

/** The error and not-found handlers: catalogue errors by code, the framework's mapped, the rest a logged 500. */
export function installErrorReplies(
  app: FastifyInstance,
  logUnexpected: (error: unknown, request: FastifyRequest) => void,
): void {
  app.setErrorHandler((error: FastifyError | CapstanError, request, reply) => {
    if (error instanceof CapstanError) {
      if (error.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.status).send(errorBody(error.code, error.message, error.details ?? undefined));
    }
    const code = frameworkErrorCode(error);
    if (code) return reply.code(errorCatalog[code].status).send(errorBody(code, error.message));
    logUnexpected(error, request);
    return reply.code(500).send(errorBody('internal_error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody('route_not_found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}.`)),
  );
}
