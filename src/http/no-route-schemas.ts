/**
 * Fastify's schema compilers, replaced by ones that refuse: no route here declares a JSON schema (request bodies are
 * checked by the generated validators in `core/request-schema.ts` and by zod), and fastify loads ajv, ajv-formats and
 * fast-json-stringify at construction unless it is given its compilers (111 module files read, compiled and kept
 * in memory for nothing). A route that did declare a schema fails at start-up with this message, not silently.
 */
import type { FastifyServerOptions } from 'fastify';

const refuse = (): never => {
  throw new Error('route schemas are not used in this gateway: validate in the handler (core/request-schema.ts, zod)');
};

export const NO_ROUTE_SCHEMAS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: () => refuse, buildSerializer: () => refuse },
};
