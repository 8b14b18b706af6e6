/**
 * `gateway_template_requests_total{template,version,status}` and `gateway_template_cost_usd_total{template,version}`:
 * requests that used a managed prompt template and what they cost, on the gateway's own registry (one set per
 * Metrics instance). Template ids are admin-created but unbounded in number, so the template label goes through the
 * cardinality bound of src/metrics (the first 500 ids; later ones `other`); versions are small integers.
 */
import { Counter } from 'prom-client';
import type { Metrics } from '../metrics/index.js';
import { createBoundedLabel } from '../metrics/bounded-labels.js';
import { perRegistry } from '../metrics/per-registry.js';
import type { RequestContext } from '../pipeline/context.js';
import type { TemplateUse } from './expand.js';

const TEMPLATE_LABELS_MAX = 500;

export interface TemplateMetrics {
  record(ctx: RequestContext, use: TemplateUse): void;
}

const metricsOf = perRegistry((metrics): TemplateMetrics => {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: 'gateway_template_requests_total',
    help: 'Requests that used a managed prompt template, by template, version and HTTP status.',
    labelNames: ['template', 'version', 'status'] as const,
    registers,
  });
  const cost = new Counter({
    name: 'gateway_template_cost_usd_total',
    help: 'Cost in USD of requests that used a managed prompt template, by template and version.',
    labelNames: ['template', 'version'] as const,
    registers,
  });
  const templateLabel = createBoundedLabel(TEMPLATE_LABELS_MAX);
  return {
    record(ctx, use) {
      const template = templateLabel(use.id);
      const version = template === 'other' ? 'other' : String(use.version);
      requests.labels(template, version, String(ctx.status)).inc();
      if (ctx.costMicros && ctx.costMicros > 0) cost.labels(template, version).inc(ctx.costMicros / 1e6);
    },
  };
});

/** Counts a finished request that used `use` (no-op without metrics). */
export function recordTemplateMetrics(metrics: Metrics | undefined, ctx: RequestContext, use: TemplateUse): void {
  if (metrics) metricsOf(metrics).record(ctx, use);
}
