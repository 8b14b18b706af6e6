/**
 * Target ordering strategies. Each takes the route's targets and returns them in the order the executor
 * should try them; the executor fails over along that order. Pure apart from the injected `random`.
 */
import type { ModelConfig } from '../config/schema.js';
import type { RequestNeeds } from './request-needs.js';
import type { TargetHealth } from './target-health.js';

/** One upstream model on one provider, with what the gateway knows about it. */
export interface ResolvedTarget {
  readonly provider: string;
  readonly upstreamModel: string;
  /** Model table entry (price, context window, capabilities); undefined for unlisted `provider/model` names. */
  readonly info?: ModelConfig;
  /** Relative share under the `weighted` strategy (default 1). */
  readonly weight?: number;
}

/** Whether the model table says `t` can serve the request; unlisted targets are assumed able. */
export function isCapable(t: ResolvedTarget, needs: RequestNeeds): boolean {
  if (!t.info) return true;
  if (needs.contextTokens > t.info.contextWindow) return false;
  return needs.capabilities.every((c) => t.info!.capabilities.includes(c));
}

/** Stable: capable targets first, in their order, then the others (a user-chosen order is kept, not overruled). */
export function capableFirst(targets: readonly ResolvedTarget[], needs: RequestNeeds): ResolvedTarget[] {
  const yes: ResolvedTarget[] = [];
  const no: ResolvedTarget[] = [];
  for (const t of targets) (isCapable(t, needs) ? yes : no).push(t);
  return no.length ? [...yes, ...no] : yes;
}

/**
 * Weighted random order without replacement (Efraimidis–Spirakis: key = u^(1/w), highest first): the first
 * target is drawn with probability weight/sum, the failover order follows the same weights. Weight 0 = only
 * as a last resort.
 */
export function orderWeighted(targets: readonly ResolvedTarget[], random: () => number): ResolvedTarget[] {
  if (targets.length < 2) return [...targets];
  const keyed = targets.map((t) => {
    const w = t.weight ?? 1;
    return { t, k: w > 0 ? Math.pow(random(), 1 / w) : -1 };
  });
  keyed.sort((a, b) => b.k - a.k);
  return keyed.map((x) => x.t);
}

/** Relative cost of the request on `t` (tokens × list USD per 1M tokens); Infinity when unpriced. */
export function estimatedCost(t: ResolvedTarget, needs: RequestNeeds): number {
  if (!t.info) return Infinity;
  return needs.promptTokens * Number(t.info.price.input) + needs.expectedOutputTokens * Number(t.info.price.output);
}

/**
 * Cheapest capable target first (ties keep config order). Targets that cannot serve the request (missing
 * capability, context too small) are left out; if none can, the route's order is returned so the upstream
 * gives the precise error.
 */
export function orderByCost(targets: readonly ResolvedTarget[], needs: RequestNeeds): ResolvedTarget[] {
  const capable = targets.filter((t) => isCapable(t, needs));
  if (capable.length === 0) return [...targets];
  return capable
    .map((t, i) => ({ t, i, c: estimatedCost(t, needs) }))
    .sort((a, b) => a.c - b.c || a.i - b.i)
    .map((x) => x.t);
}

/**
 * Fastest first by moving-average time to first token. Targets never measured go first, so each gets
 * measured; with probability `explore` the order is shuffled, so a target that was slow gets re-measured.
 */
export function orderByLatency(
  targets: readonly ResolvedTarget[],
  health: TargetHealth,
  stream: boolean,
  explore: number,
  random: () => number,
): ResolvedTarget[] {
  if (targets.length < 2) return [...targets];
  if (explore > 0 && random() < explore) return orderWeighted(targets, random);
  return targets
    .map((t, i) => ({ t, i, ms: health.ttftMs(t, stream) ?? -1 }))
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map((x) => x.t);
}

/**
 * Stable: healthy targets first, then those cooling down after a `retry-after`, then those whose breaker is
 * open (the executor skips those; they stay listed so the error can say when they come back).
 */
export function healthyFirst(targets: readonly ResolvedTarget[], health: TargetHealth): ResolvedTarget[] {
  const ok: ResolvedTarget[] = [];
  const cooling: ResolvedTarget[] = [];
  const open: ResolvedTarget[] = [];
  for (const t of targets) {
    if (health.state(t) === 'open') open.push(t);
    else if (health.coolingDown(t)) cooling.push(t);
    else ok.push(t);
  }
  return cooling.length || open.length ? [...ok, ...cooling, ...open] : ok;
}
