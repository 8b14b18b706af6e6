import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/authenticate.js';
import { GatewayError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Authenticates before the body is read, so an unauthenticated client cannot make us parse 16 MB. */
export function authHook(rt: Runtime) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    try {
      request.principal = await rt.auth.authenticate(request.headers);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      rt.logger.error({ err }, 'state store unavailable during authentication');
      throw new GatewayError('state_unavailable', 'The gateway cannot verify API keys right now. Please retry.');
    }
  };
}
