import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { NO_ROUTE_SCHEMAS } from '../../src/http/no-route-schemas.js';

describe('fastify without schema compilers (src/http/no-route-schemas.ts)', () => {
  it('serves routes without schemas, errors included', async () => {
    const app = Fastify({ logger: false, schemaController: NO_ROUTE_SCHEMAS });
    app.post('/echo', async (req) => ({ got: req.body }));
    app.get('/fail', async () => {
      throw Object.assign(new Error('nope'), { statusCode: 418 });
    });
    const ok = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ got: { a: 1 } });
    const failed = await app.inject({ method: 'GET', url: '/fail' });
    expect(failed.statusCode).toBe(418);
    expect(failed.json()).toMatchObject({ message: 'nope' });
    await app.close();
  });

  it('refuses a route that declares a schema, at start and by name', async () => {
    for (const schema of [{ body: { type: 'object' } }, { response: { 200: { type: 'object' } } }]) {
      const app = Fastify({ logger: false, schemaController: NO_ROUTE_SCHEMAS });
      app.post('/with-schema', { schema }, async () => ({}));
      await expect(app.ready()).rejects.toThrow(/route schemas are not used in this gateway/);
    }
  });
});
