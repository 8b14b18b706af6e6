/**
 * Turns the caller's scopes × budgets into the period counters one operation touches, and turns counter values
 * back into the public result shapes. Pure functions shared by both implementations, so they agree exactly.
 */
import { periodEnd, periodStart } from './periods.js';
import type { BudgetDenied, BudgetKind, BudgetRemaining, BudgetStatus, Scope, ScopeBudgets } from './types.js';

/** One period counter of one budget (one scope × period × period start) and the limits that apply to it. */
export interface CounterPlan {
  /** Stable counter id: `<scope>|<period>|<periodStart>`. */
  id: string;
  scope: Scope;
  period: ScopeBudgets['budgets'][number]['period'];
  start: number;
  resetsAt: number | null;
  usd?: number;
  tok?: number;
  soft?: number;
}

/** Values of one counter: spent and held (reserved) amounts. */
export interface CounterValues {
  sm: number;
  st: number;
  rm: number;
  rt: number;
}

/**
 * The counters `scopes` touch at `now`. Plans are read-only and shared: each scope's are computed once per period
 * and reused while `now` stays inside it (budgets arrays come from the config, so their identity is stable), as
 * this runs on every admitted request.
 */
export function planCounters(scopes: ScopeBudgets[], now: number): readonly CounterPlan[] {
  if (scopes.length === 1) return scopePlans(scopes[0]!, now);
  const plans: CounterPlan[] = [];
  for (const s of scopes) {
    for (const p of scopePlans(s, now)) {
      // The same scope listed twice shares its counters; the stricter limits win.
      const i = plans.findIndex((x) => x.id === p.id);
      if (i < 0) plans.push(p);
      else plans[i] = stricter(plans[i]!, p);
    }
  }
  return plans;
}

interface CachedPlans {
  from: number;
  until: number;
  plans: readonly CounterPlan[];
}
const cache = new WeakMap<ScopeBudgets['budgets'], Map<Scope, CachedPlans>>();

function scopePlans({ scope, budgets }: ScopeBudgets, now: number): readonly CounterPlan[] {
  let byScope = cache.get(budgets);
  if (!byScope) cache.set(budgets, (byScope = new Map()));
  let c = byScope.get(scope);
  if (!c || now < c.from || now >= c.until) {
    const plans = buildScopePlans(scope, budgets, now);
    c = { from: Math.max(0, ...plans.map((p) => p.start)), until: Math.min(Infinity, ...plans.map((p) => p.resetsAt ?? Infinity)), plans };
    byScope.set(scope, c);
  }
  return c.plans;
}

function buildScopePlans(scope: Scope, budgets: ScopeBudgets['budgets'], now: number): CounterPlan[] {
  const plans: CounterPlan[] = [];
  for (const b of budgets) {
    if (b.usdMicros === undefined && b.tokens === undefined) continue;
    const start = periodStart(b.period, now);
    const plan: CounterPlan = {
      id: `${scope}|${b.period}|${start}`,
      scope,
      period: b.period,
      start,
      resetsAt: periodEnd(b.period, now),
      ...(b.usdMicros !== undefined ? { usd: b.usdMicros } : {}),
      ...(b.tokens !== undefined ? { tok: b.tokens } : {}),
      ...(b.softThreshold !== undefined ? { soft: b.softThreshold } : {}),
    };
    // Two budgets with the same period on one scope share a counter; the stricter limits win.
    const i = plans.findIndex((x) => x.id === plan.id);
    if (i < 0) plans.push(plan);
    else plans[i] = stricter(plans[i]!, plan);
  }
  return plans;
}

/** One counter's plan with the lower of both limits (the first plan's soft threshold). */
function stricter(a: CounterPlan, b: CounterPlan): CounterPlan {
  const usd = Math.min(a.usd ?? Infinity, b.usd ?? Infinity);
  const tok = Math.min(a.tok ?? Infinity, b.tok ?? Infinity);
  return { ...a, ...(usd !== Infinity ? { usd } : {}), ...(tok !== Infinity ? { tok } : {}) };
}

/** True when holding `amount` more would exceed `limit` (an exhausted budget also refuses a zero amount). */
export const exceeds = (used: number, amount: number, limit: number): boolean =>
  used + amount > limit || (amount === 0 && used >= limit);

/** First limit that `cost`/`tokens` more would exceed, or undefined when all fit. */
export function findDenial(plans: readonly CounterPlan[], values: CounterValues[], cost: number, tokens: number): BudgetDenied | undefined {
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    const v = values[i]!;
    if (p.usd !== undefined && exceeds(v.sm + v.rm, cost, p.usd)) return denied(p, 'usd', p.usd);
    if (p.tok !== undefined && exceeds(v.st + v.rt, tokens, p.tok)) return denied(p, 'tokens', p.tok);
  }
  return undefined;
}

const denied = (p: CounterPlan, kind: BudgetKind, limit: number): BudgetDenied => ({
  ok: false,
  scope: p.scope,
  period: p.period,
  kind,
  limit,
  resetsAt: p.resetsAt,
});

export function remainingOf(plans: readonly CounterPlan[], values: CounterValues[]): BudgetRemaining[] {
  const out: BudgetRemaining[] = [];
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    const v = values[i]!;
    const { scope, period, resetsAt } = p;
    if (p.usd !== undefined) out.push({ scope, period, resetsAt, kind: 'usd', limit: p.usd, remaining: p.usd - v.sm - v.rm });
    if (p.tok !== undefined) out.push({ scope, period, resetsAt, kind: 'tokens', limit: p.tok, remaining: p.tok - v.st - v.rt });
  }
  return out;
}

export function statusOf(plans: readonly CounterPlan[], values: CounterValues[]): BudgetStatus[] {
  return plans.map((p, i) => {
    const v = values[i]!;
    return {
      scope: p.scope,
      period: p.period,
      ...(p.usd !== undefined ? { usdMicros: p.usd } : {}),
      ...(p.tok !== undefined ? { tokens: p.tok } : {}),
      spentMicros: v.sm,
      spentTokens: v.st,
      reservedMicros: v.rm,
      reservedTokens: v.rt,
      periodStart: p.start,
      resetsAt: p.resetsAt,
    };
  });
}

/** Which soft thresholds a counter has newly crossed (flags say which were already reported). */
export function softCrossings(p: CounterPlan, v: CounterValues, reported: { usd: boolean; tok: boolean }): BudgetKind[] {
  if (p.soft === undefined) return [];
  const out: BudgetKind[] = [];
  if (p.usd !== undefined && !reported.usd && v.sm >= p.soft * p.usd) out.push('usd');
  if (p.tok !== undefined && !reported.tok && v.st >= p.soft * p.tok) out.push('tokens');
  return out;
}

/** Team that owns the scopes, when it can be told without a lookup. */
export function teamOfScopes(scopes: ScopeBudgets[]): string | undefined {
  for (const s of scopes) if (s.scope.startsWith('team:')) return s.scope.slice(5);
  return undefined;
}

/** Amounts are integers (micro-dollars, tokens): a float would drift and Lua's HINCRBY would reject it. */
export function assertAmounts(op: string, amounts: Record<string, number | undefined>): void {
  for (const name in amounts) {
    const v = amounts[name];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
      throw new TypeError(`${op}: ${name} must be a non-negative integer, got ${v}`);
    }
  }
}
