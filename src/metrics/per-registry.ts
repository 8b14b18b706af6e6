/**
 * Metrics a feature registers on the gateway's own registry, one set per `Metrics` instance (so test gateways in
 * one process never share series), built on first use: `const metricsOf = perRegistry((m) => ({ … }))`.
 */
import type { Metrics } from './metrics.js';

export function perRegistry<T>(create: (metrics: Metrics) => T): (metrics: Metrics) => T {
  const byRegistry = new WeakMap<Metrics, T>();
  return (metrics) => {
    let m = byRegistry.get(metrics);
    if (m === undefined) byRegistry.set(metrics, (m = create(metrics)));
    return m;
  };
}
