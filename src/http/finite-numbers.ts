/**
 * JSON has no Infinity or NaN, but JSON.parse reads a literal past the double range (1e400, -1e400) as ±Infinity.
 * Such a value breaks whatever arithmetic meets it (a -Infinity max_tokens answered 500 in admission) and is
 * forwarded as `null` by JSON.stringify, so it is refused on every route, right after parsing, naming where.
 */
import type { preValidationHookHandler } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { bodyProvenFinite } from './json-body.js';

/** The param (`tools[0].function.parameters.maximum`) of the first non-finite number in a parsed body, or undefined. */
export function nonFinitePath(body: unknown): string | undefined {
  // Iterative: bodies may nest deeply (the depth limit is checked later, per route), and a walk must not overflow.
  const stack: [unknown, string][] = [[body, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return path;
    } else if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) v.forEach((c, i) => stack.push([c, `${path}[${i}]`]));
      else for (const [k, c] of Object.entries(v)) stack.push([c, path ? `${path}.${k}` : k]);
    }
  }
  return undefined;
}

/**
 * Whether a parsed body holds a non-finite number anywhere. Runs on every request, so it walks values only
 * (no path strings, no entry arrays: those were 3–4 % of a chat request's CPU); `nonFinitePath` names the param
 * only for a body this finds guilty.
 */
export function hasNonFinite(body: unknown): boolean {
  if (typeof body === 'number') return !Number.isFinite(body);
  if (body === null || typeof body !== 'object') return false;
  const stack: object[] = [body];
  while (stack.length) {
    const o = stack.pop()! as Record<string, unknown>;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const c: unknown = o[i];
        if (typeof c === 'number') {
          if (!Number.isFinite(c)) return true;
        } else if (c !== null && typeof c === 'object') stack.push(c);
      }
    } else {
      for (const k in o) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        const c = o[k];
        if (typeof c === 'number') {
          if (!Number.isFinite(c)) return true;
        } else if (c !== null && typeof c === 'object') stack.push(c);
      }
    }
  }
  return false;
}

/** preValidation hook: 400 `invalid_request` naming the param of a non-finite number in the body. */
export const refuseNonFiniteNumbers: preValidationHookHandler = (request, _reply, done) => {
  // The JSON parser proves most bodies finite from their text (json-body.ts); only the rest are walked.
  const param = request.body === undefined || bodyProvenFinite(request) || !hasNonFinite(request.body) ? undefined : nonFinitePath(request.body);
  if (param === undefined) return done();
  const what = param ? `Invalid value for '${param}'` : 'Invalid request body';
  done(new GatewayError('invalid_request', `${what}: must be a finite number (a literal such as 1e400 overflows to Infinity).`, { param: param || null }));
};
