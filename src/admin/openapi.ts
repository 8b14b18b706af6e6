/** Builds the OpenAPI 3.1 document of the admin API from the declared routes and their zod schemas. Pure. */
import { z } from 'zod';
import type { RouteDoc } from './route-table.js';

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } },
      required: ['message', 'type', 'param', 'code'],
    },
  },
  required: ['error'],
};

export function buildOpenApi(docs: RouteDoc[], prefix: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const d of docs) {
    const path = prefix + d.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...d.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (d.query) {
      const schema = z.toJSONSchema(d.query, { io: 'input' }) as { properties?: Record<string, any>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s, ...(s.description ? { description: s.description } : {}) } as never);
      }
    }
    const ok = String(d.status ?? 200);
    paths[path] ??= {};
    paths[path][d.method.toLowerCase()] = {
      summary: d.summary,
      tags: [d.tag],
      ...(params.length ? { parameters: params } : {}),
      ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(d.body, { io: 'input' }) } } } } : {}),
      responses: {
        [ok]: { description: 'OK', content: { [d.produces ?? 'application/json']: {} } },
        default: { description: 'Error (OpenAI envelope)', content: { 'application/json': { schema: errorSchema } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'AI gateway admin API', version },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'server.adminToken' } } },
    security: [{ adminToken: [] }],
    paths,
  };
}
