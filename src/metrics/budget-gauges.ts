/**
 * Team budgets as Prometheus gauges, one metric per unit (Prometheus naming: the unit is in the name, never a
 * label): `budget_limit_usd` / `budget_remaining_usd` and `budget_limit_tokens` / `budget_remaining_tokens`,
 * by team and period. Set on every admitted request, read only when scraped: the latest values wait in a Map
 * and are copied into the gauges at collection (a labelled gauge `set` hashes its labels, costly per request).
 */
import { Gauge, type Registry } from 'prom-client';
import type { BudgetKind, BudgetPeriod } from '../state/types.js';

interface Latest {
  team: string;
  period: BudgetPeriod;
  kind: BudgetKind;
  limit: number | undefined;
  remaining: number;
}

export function createBudgetGauges(prefix: string, registers: Registry[]) {
  const latest = new Map<string, Latest>();
  const gauge = (name: string, help: string, kind: BudgetKind, pick: (l: Latest) => number | undefined) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['team', 'period'] as const,
      registers,
      collect() {
        for (const l of latest.values()) {
          const v = l.kind === kind ? pick(l) : undefined;
          if (v !== undefined) this.labels(l.team, l.period).set(v);
        }
      },
    });
  gauge('budget_limit_usd', 'Team budget limit in USD per period (teams with a USD limit).', 'usd', (l) => l.limit);
  gauge('budget_remaining_usd', 'Team USD budget left after the last operation on it (limit − spent − held; negative after an overrun).', 'usd', (l) => l.remaining);
  gauge('budget_limit_tokens', 'Team budget limit in tokens per period (teams with a token limit).', 'tokens', (l) => l.limit);
  gauge('budget_remaining_tokens', 'Team token budget left after the last operation on it (limit − spent − held).', 'tokens', (l) => l.remaining);

  return {
    /** `team` already bounded; USD amounts arrive in micro-dollars. */
    set(team: string, period: BudgetPeriod, kind: BudgetKind, remaining: number, limit?: number) {
      const scale = kind === 'usd' ? 1e-6 : 1;
      const k = `${team}\u0000${period}\u0000${kind}`;
      const l = latest.get(k);
      if (l) {
        l.remaining = remaining * scale;
        if (limit !== undefined) l.limit = limit * scale;
      } else latest.set(k, { team, period, kind, remaining: remaining * scale, limit: limit === undefined ? undefined : limit * scale });
    },
  };
}
