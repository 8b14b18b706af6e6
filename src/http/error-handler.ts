import type { FastifyError, FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError, type ErrorCode } from '../core/errors.js';
import { toAnthropicError } from '../ingress/messages/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code this request was answered with, when an error handler answered it. */
    errorCode?: ErrorCode;
  }
}

/** Fastify's own errors (body parsing, limits, unknown routes) in OpenAI's envelope. */
export function installErrorHandlers(app: FastifyInstance, log: (err: unknown) => void): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Fastify parses the body of an unrouted request too (DELETE or OPTIONS with a JSON content type and no
    // body): the URL being unknown is the answer, not a body error ("body is empty" on a route that does not exist).
    const unrouted = request.is404 && typeof err.code === 'string' && err.code.startsWith('FST_ERR_CTP_');
    const gw = err instanceof GatewayError ? err : unrouted ? notFound(request.method, request.url) : fromFastifyError(err);
    request.errorCode = gw.code; // for the log line
    if (gw.code === 'internal_error') log(err); // expected 5xx (store down, upstream failures) are logged where they arise
    if (reply.getHeader('connection') === 'close' && drainable(request.raw, request.server.initialConfig.bodyLimit)) {
      // Fastify closes the connection after a body it refused, but the client is still sending that body: closing
      // on unread data resets the connection, and the client sees EPIPE instead of this answer (nginx's "lingering
      // close" problem). Keeping it open lets Node read and discard the rest, then reuse the connection.
      reply.removeHeader('connection');
    }
    // A route of another wire format (the Anthropic Messages ingress) answers in its own envelope.
    const envelope = (request.routeOptions.config as { errorEnvelope?: (e: GatewayError) => unknown } | undefined)?.errorEnvelope ?? unroutedEnvelope(request.url);
    reply.code(gw.status).headers(gw.headers).send(envelope ? envelope(gw) : gw.toEnvelope());
  });
  app.setNotFoundHandler((request, reply) => {
    const gw = notFound(request.method, request.url);
    reply.code(404).send(unroutedEnvelope(request.url)?.(gw) ?? gw.toEnvelope());
  });
}

const notFound = (method: string, url: string) => new GatewayError('not_found', `Unknown request URL: ${method} ${url.split('?')[0].slice(0, 200)}.`);

/**
 * The envelope of a URL no route took: an Anthropic SDK that asks for `GET /v1/messages`, `/v1/messages/` or
 * `/v1/messages/batches` (not served) reads Anthropic's envelope there, as on the routes it does reach.
 */
function unroutedEnvelope(url: string): ((e: GatewayError) => unknown) | undefined {
  return /^\/v1\/+messages(\/|\?|$)/i.test(url) ? toAnthropicError : undefined;
}

/** A refused body worth reading to its end: declared, and at most 8× the limit (a larger one is hostile: close). */
function drainable(req: IncomingMessage, bodyLimit = 1024 * 1024): boolean {
  const declared = Number(req.headers['content-length']);
  return !req.complete && Number.isFinite(declared) && declared <= 8 * bodyLimit;
}

/** Node's HTTP parser errors → a minimal HTTP response carrying the envelope, then the socket is closed. */
export function writeClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request was not received in time.']
        : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify(new GatewayError('invalid_request', message, { status }).toEnvelope());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['request_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'The request body must be JSON (content-type: application/json).'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'The content-length header does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'The request body is empty; expected a JSON object.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'The request body is not valid JSON.'],
};

function fromFastifyError(err: FastifyError): GatewayError {
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return new GatewayError(known[0], known[1]);
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new GatewayError('invalid_json', 'The request body is not valid JSON.');
  }
  if (err.validation) return new GatewayError('invalid_request', err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new GatewayError('invalid_request', 'The request could not be processed.', { status: err.statusCode });
  }
  return new GatewayError('internal_error', 'The gateway failed to process the request.');
}
