import type { Runtime } from '../runtime.js';
import { createMetrics, type Metrics } from './metrics.js';

const created = new WeakMap<object, Metrics>();

/**
 * The Metrics of a runtime: `rt.metrics` when the runtime carries one, otherwise one created on first use and
 * remembered for that runtime (so the pipeline, /metrics and the dashboard always see the same registry).
 */
export function metricsFor(rt: Runtime): Metrics {
  const own = rt.metrics as Partial<Metrics> | undefined;
  if (own && typeof own.render === 'function' && typeof own.latency === 'function') return own as Metrics;
  let m = created.get(rt);
  if (!m) created.set(rt, (m = createMetrics()));
  return m;
}
