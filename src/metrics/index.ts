export { createMetrics, type Metrics, type BreakerState, type CacheResult } from './metrics.js';
export type { LatencySummary } from './latency-reader.js';
export { registerMetricsRoute } from './metrics-route.js';
export { metricsFor } from './runtime-metrics.js';
