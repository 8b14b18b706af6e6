/**
 * Per-key request and cost counters, behind a cardinality bound: the first `max` key ids seen get series of
 * their own, later ones share `other` (so a team minting keys cannot grow /metrics without bound). Off when
 * `max` is 0 (the default: `server.metrics.keySeries`). Key ids are not secrets; /metrics is operator-only
 * (docs/operations.md). Counts wait in plain fields and are added when scraped, like the request series.
 */
import { Counter, type Registry } from 'prom-client';
import type { RequestContext } from '../pipeline/context.js';
import { createBoundedLabel } from './bounded-labels.js';

interface KeyCounts {
  labels: { team: string; key: string };
  code: string;
  requests: number;
  costMicros: number;
}

export function createKeySeries(prefix: string, registers: Registry[], max: number, teamLabel: (t: string) => string) {
  if (max <= 0) return undefined;
  const keyLabel = createBoundedLabel(max);
  const counts = new Map<string, KeyCounts>();
  new Counter({
    name: `${prefix}key_requests_total`,
    help: `Chat requests per key (the first ${max} keys seen; later ones as key="other") by team and error code.`,
    labelNames: ['team', 'key', 'code'] as const,
    registers,
    collect() {
      for (const c of counts.values()) {
        if (c.requests) this.inc({ ...c.labels, code: c.code }, c.requests);
        c.requests = 0;
      }
    },
  });
  new Counter({
    name: `${prefix}key_cost_usd_total`,
    help: `Cost in USD charged per key (the first ${max} keys seen; later ones as key="other"), by team.`,
    labelNames: ['team', 'key'] as const,
    registers,
    collect() {
      const sums = new Map<string, { labels: KeyCounts['labels']; micros: number }>();
      for (const c of counts.values()) {
        if (!c.costMicros) continue;
        const k = `${c.labels.team}\u0000${c.labels.key}`;
        const s = sums.get(k) ?? { labels: c.labels, micros: 0 };
        s.micros += c.costMicros;
        sums.set(k, s);
        c.costMicros = 0;
      }
      for (const s of sums.values()) this.inc(s.labels, s.micros / 1e6);
    },
  });
  return {
    record(ctx: RequestContext, code: string) {
      const p = ctx.principal;
      if (!p) return;
      const team = teamLabel(p.team.id);
      const key = keyLabel(p.key.id);
      const k = `${team}\u0000${key}\u0000${code}`;
      let c = counts.get(k);
      if (!c) counts.set(k, (c = { labels: { team, key }, code, requests: 0, costMicros: 0 }));
      c.requests++;
      if (ctx.costMicros && ctx.costMicros > 0) c.costMicros += ctx.costMicros;
    },
  };
}
