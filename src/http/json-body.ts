/**
 * The JSON body parser of every route: Fastify's own (secure-json-parse: 400 on `__proto__` / `constructor`
 * keys, its errors mapped to `invalid_json` by error-handler.ts), with a fast path for the common body.
 *
 * Why (issue 22.3): on every request the default parser scans the whole text with two regexes for the poisoned
 * keys, and the preValidation hook (finite-numbers.ts) then walks the whole parsed body for ±Infinity. A body
 * whose text holds neither `__proto__`, `constructor` nor a `\u` escape (the only way to spell them otherwise)
 * cannot be poisoned, and one without an exponent or a 309-digit run cannot hold a number that overflows to
 * Infinity; three substring searches and one regex tell both, natively, before `JSON.parse`. Anything else takes
 * the default parser and the walk, unchanged.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';

/** A number literal JSON.parse can read as ±Infinity needs an exponent or more than 308 integer digits. */
const MAY_OVERFLOW = /[0-9][eE]|[0-9]{309}/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the parser when the body's text cannot hold a non-finite number (the hook then skips its walk). */
    bodyProvenFinite?: boolean;
  }
}

/** Whether the parser already proved this request's body free of non-finite numbers. */
export const bodyProvenFinite = (request: FastifyRequest): boolean => request.bodyProvenFinite === true;

export function installJsonBodyParser(app: FastifyInstance): void {
  app.decorateRequest('bodyProvenFinite', false);
  const fallback = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Bodies are not decompressed: a gzip body was answered "not valid JSON" and a plain one labelled gzip was
    // read as if the label were absent. An encoding we do not apply is a 415, as RFC 9110 (15.5.16) says.
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      return done(new GatewayError('unsupported_media_type', `Content-Encoding '${encoding.slice(0, 40)}' is not supported: send the JSON body uncompressed.`), undefined);
    }
    const text = body as string;
    if (text.length > 0 && text.indexOf('__proto__') < 0 && text.indexOf('constructor') < 0 && text.indexOf('\\u') < 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return fallback(request, text, done); // the default parser's own error for malformed JSON
      }
      if (!MAY_OVERFLOW.test(text)) request.bodyProvenFinite = true;
      return done(null, parsed);
    }
    fallback(request, text, (err, parsed) => {
      // The default parser refuses `__proto__` and `constructor.prototype` keys with the same error as broken JSON;
      // when the text is valid JSON that was the reason, and "not valid JSON" would send the client looking elsewhere.
      if (err && parsesAsJson(text)) return done(new GatewayError('invalid_json', "The request body has a '__proto__' or 'constructor.prototype' key, which the gateway refuses."), undefined);
      done(err, parsed);
    });
  });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
