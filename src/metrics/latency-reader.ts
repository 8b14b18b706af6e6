/**
 * Percentiles from a prom-client histogram, estimated like PromQL's `histogram_quantile` (linear interpolation
 * inside the bucket). Used by the dashboard; figures cover this process since it started.
 */
import type { Histogram } from 'prom-client';

/** Latency percentiles in milliseconds (null when there were no requests), and the request count. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface LatencyReader {
  /** Sums the buckets of every series (or of one team's series when `teamId` is given). */
  summary(teamId?: string): Promise<LatencySummary>;
}

export function createLatencyReader(histogram: Histogram<string>): LatencyReader {
  return {
    async summary(teamId) {
      const data = await histogram.get();
      const buckets = new Map<number, number>();
      for (const v of data.values) {
        if (v.metricName?.endsWith('_bucket') !== true) continue;
        if (teamId !== undefined && v.labels.team !== teamId) continue;
        const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
        buckets.set(le, (buckets.get(le) ?? 0) + v.value);
      }
      const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
      const count = sorted.length ? sorted[sorted.length - 1][1] : 0;
      return { count, p50: quantile(sorted, count, 0.5), p90: quantile(sorted, count, 0.9), p99: quantile(sorted, count, 0.99) };
    },
  };
}

/** Cumulative buckets [(upper bound s, count)] → the q-quantile in ms. */
function quantile(cumulative: [number, number][], count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, c] of cumulative) {
    if (c >= rank) {
      // Above the last finite bound all we know is "more than it": report that bound, as PromQL does.
      if (bound === Infinity) return prevBound * 1000;
      const inBucket = c - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 0;
      return (prevBound + (bound - prevBound) * frac) * 1000;
    }
    prevBound = bound;
    prevCount = c;
  }
  return prevBound * 1000;
}
