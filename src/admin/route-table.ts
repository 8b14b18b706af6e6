/**
 * Declares admin routes with zod schemas: the handler gets parsed, validated input, and every declaration is
 * remembered for the OpenAPI document (`openapi.ts`). Thin on purpose: Fastify still does routing and errors.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { validate } from './validate.js';
import { accessOf, forbidden } from './roles.js';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Fastify path, relative to the plugin prefix (`/teams/:id`). */
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Media type of the answer when not JSON. */
  produces?: string;
  /** Roles that may call it besides the gateway admin (roles.ts); default: the gateway admin only. */
  teamAdmin?: boolean;
}

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A route registrar bound to one Fastify scope and one shared list of docs. */
export interface RouteTable {
  readonly docs: RouteDoc[];
  add<B extends z.ZodType | undefined, Q extends z.ZodType | undefined>(
    doc: RouteDoc & { body?: B; query?: Q },
    handler: (input: RouteInput<B extends z.ZodType ? z.output<B> : undefined, Q extends z.ZodType ? z.output<Q> : undefined>) => Promise<unknown>,
  ): void;
}

export function createRouteTable(app: FastifyInstance, docs: RouteDoc[] = []): RouteTable {
  return {
    docs,
    add(doc, handler) {
      docs.push(doc);
      app.route({
        method: doc.method,
        url: doc.url,
        handler: async (request, reply) => {
          // Deny by default: a team admin reaches only the routes that say so (and they scope it to its team).
          if (!doc.teamAdmin && accessOf(request).role !== 'admin') throw forbidden(`call ${doc.method} /admin${doc.url}`);
          const body = doc.body ? validate(doc.body, request.body, 'body') : undefined;
          const query = doc.query ? validate(doc.query, request.query, 'query') : undefined;
          const result = await handler({ body, query, params: request.params as Record<string, string>, request, reply } as never);
          if (doc.status) reply.code(doc.status);
          return result;
        },
      });
    },
  };
}
