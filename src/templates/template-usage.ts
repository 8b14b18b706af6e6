/**
 * Attribution of a finished request that used a managed prompt template: the Prometheus series
 * (template-metrics.ts) and the per-template usage aggregate in the StateStore (day × version × team: requests,
 * tokens, cost, errors), which `GET /admin/templates/{id}/usage` and the console read. Runs after settlement
 * (the cost is known), off the client's path; a store failure is logged, never thrown.
 */
import type { RequestContext } from '../pipeline/context.js';
import type { Runtime } from '../runtime.js';
import type { TemplateUse } from './expand.js';
import { recordTemplateMetrics } from './template-metrics.js';

export async function recordTemplateRequest(rt: Runtime, ctx: RequestContext): Promise<void> {
  const use = ctx.notes.template as TemplateUse | undefined;
  if (!use || !ctx.principal) return;
  recordTemplateMetrics(rt.metrics, ctx, use);
  try {
    await rt.store.recordTemplateUsage({
      at: ctx.startedAtMs,
      template: use.id,
      version: use.version,
      teamId: ctx.principal.team.id,
      promptTokens: ctx.usage?.promptTokens ?? 0,
      completionTokens: ctx.usage?.completionTokens ?? 0,
      costMicros: ctx.costMicros ?? 0,
      // A client that went away (499) is not an error of the template's.
      error: ctx.status >= 400 && ctx.status !== 499,
    });
  } catch (err) {
    rt.logger.warn({ reqId: ctx.id, template: use, err: (err as Error).message }, 'template usage not recorded');
  }
}
