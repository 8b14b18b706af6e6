import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';

/** GET /v1/models and /v1/models/:id in OpenAI's list format: the models this key may use. */
export function registerModelRoutes(app: FastifyInstance, rt: Runtime): void {
  const created = Math.floor(Date.now() / 1000);
  const toModel = (m: { id: string; ownedBy: string }) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy });

  app.get('/models', async (request) => ({
    object: 'list',
    data: rt.catalog.list(request.principal!.team, request.principal!.key).map(toModel),
  }));
  app.get<{ Params: { id: string } }>('/models/*', async (request) => {
    const id = (request.params as Record<string, string>)['*'];
    const found = rt.catalog.list(request.principal!.team, request.principal!.key).find((m) => m.id === id);
    if (!found) throw new GatewayError('model_not_found', `The model '${id.slice(0, 200)}' does not exist or you do not have access to it.`, { param: 'model' });
    return toModel(found);
  });
}
