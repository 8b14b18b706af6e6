import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticate.js';
import { GatewayError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { createLogThrottle } from '../util/log-throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** When authentication ran (performance.now()), for the request's `auth` span (src/telemetry). */
    authTiming?: { start: number; end: number };
  }
}

/** Authenticates before the body is read, so an unauthenticated client cannot make us parse 16 MB. */
export function authHook(rt: Runtime) {
  const outageLog = createLogThrottle();
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const start = rt.tracing ? performance.now() : 0;
    try {
      request.principal = await rt.auth.authenticate(request.headers);
      if (rt.tracing) request.authTiming = { start, end: performance.now() };
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const log = outageLog.take();
      if (log) rt.logger.error({ err, ...log }, 'state store unavailable during authentication');
      throw new GatewayError('state_unavailable', 'The gateway cannot verify API keys right now. Please retry.');
    }
  };
}
