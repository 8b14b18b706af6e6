/**
 * One compiled route variant: its condition, targets, strategy and failover policy. Built once per config;
 * `order` is called once per request.
 */
import type { ChatRequest } from '../core/types.js';
import { compileCondition, type ConditionFn } from './route-conditions.js';
import type { RetryPolicy, RouteSpec, StrategyName } from './route-schema.js';
import type { RequestNeeds } from './request-needs.js';
import { routingText } from './request-needs.js';
import { createSemanticRules, type EmbedderSource, type SemanticLogger, type SemanticRules } from './semantic-rules.js';
import { capableFirst, healthyFirst, orderByCost, orderByLatency, orderWeighted, type ResolvedTarget } from './strategies.js';
import type { TargetHealth } from './target-health.js';

/** How the route decided, for the log line (never prompt text). */
export interface RoutingDecision {
  route: string;
  strategy: StrategyName;
  /** `semantic`: the rule picked, or `default`. */
  rule?: string;
  similarity?: number;
  /** Targets skipped because their circuit breaker was open (set by the executor). */
  skippedOpen?: string[];
}

/** A compiled route variant. Immutable; `order` never rejects. */
export interface RoutePlan {
  /** `name`, or `name[i]` for the i-th variant of a list. */
  readonly id: string;
  readonly strategy: StrategyName;
  /** Every target the plan may use (defaults first, then rule targets), deduplicated. */
  readonly targets: readonly ResolvedTarget[];
  readonly retry: RetryPolicy;
  readonly contextFallback?: ResolvedTarget;
  readonly when: ConditionFn;
  /** True when the variant has a `when` (false: it matches every request). */
  readonly conditional: boolean;
  /** Resolves once semantic rule examples are embedded (immediately for other strategies). */
  readonly ready: Promise<void>;
  /** Targets in the order to try them for this request, and how that was decided. */
  order(req: ChatRequest, needs: () => RequestNeeds, decision: RoutingDecision): Promise<ResolvedTarget[]>;
}

export interface PlanDeps {
  resolveTarget(ref: RouteSpec['targets'][number]): ResolvedTarget;
  health: TargetHealth;
  retry: RetryPolicy;
  embedder?: EmbedderSource;
  random: () => number;
  logger?: SemanticLogger;
}

const sameTarget = (a: ResolvedTarget, b: ResolvedTarget) => a.provider === b.provider && a.upstreamModel === b.upstreamModel;
const dedupe = (ts: ResolvedTarget[]) => ts.filter((t, i) => ts.findIndex((u) => sameTarget(t, u)) === i);

export function createRoutePlan(id: string, spec: RouteSpec, deps: PlanDeps): RoutePlan {
  const { health, random } = deps;
  const defaults = spec.targets.map(deps.resolveTarget);
  const ruleTargets = spec.rules.map((r) => r.targets.map(deps.resolveTarget));
  const semantic: SemanticRules | undefined =
    spec.strategy === 'semantic' ? createSemanticRules(id, spec.rules, spec.threshold, deps.embedder, deps.logger) : undefined;

  async function baseOrder(req: ChatRequest, needs: () => RequestNeeds, decision: RoutingDecision): Promise<ResolvedTarget[]> {
    switch (spec.strategy) {
      case 'ordered':
        return capableFirst(defaults, needs());
      case 'weighted':
        return capableFirst(orderWeighted(defaults, random), needs());
      case 'cost':
        return orderByCost(defaults, needs());
      case 'latency':
        return capableFirst(orderByLatency(defaults, health, req.stream, spec.explore, random), needs());
      case 'semantic': {
        const m = await semantic!.match(routingText(req));
        decision.similarity = Number.isFinite(m.similarity) ? Math.round(m.similarity * 1000) / 1000 : undefined;
        decision.rule = m.rule >= 0 ? spec.rules[m.rule]!.name : 'default';
        // The rule's targets first; the defaults stay behind them as the failover chain.
        const chosen = m.rule >= 0 ? dedupe([...ruleTargets[m.rule]!, ...defaults]) : defaults;
        return capableFirst(chosen, needs());
      }
    }
  }

  return {
    id,
    strategy: spec.strategy,
    targets: dedupe([...defaults, ...ruleTargets.flat()]),
    retry: { ...deps.retry, ...spec.retry },
    contextFallback: spec.contextFallback ? deps.resolveTarget(spec.contextFallback) : undefined,
    when: compileCondition(spec.when),
    conditional: spec.when !== undefined,
    ready: semantic?.ready ?? Promise.resolve(),
    async order(req, needs, decision) {
      return healthyFirst(await baseOrder(req, needs, decision), health);
    },
  };
}

/** The plan of a plain model-table entry or `provider/model` name: one target, no strategy. */
export function singleTargetPlan(id: string, target: ResolvedTarget, retry: RetryPolicy): RoutePlan {
  const targets = [target];
  return {
    id,
    strategy: 'ordered',
    targets,
    retry,
    when: () => true,
    conditional: false,
    ready: Promise.resolve(),
    order: async () => targets,
  };
}
