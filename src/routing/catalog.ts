/**
 * The model catalog: public model names (routes, model-table entries, `provider/model` pass-through) → the
 * targets that may serve a request, in the order to try them. Owns the shared target health (breakers,
 * latency averages) that the executor reports into.
 */
import type { GatewayConfig, ModelConfig } from '../config/schema.js';
import type { ChatRequest } from '../core/types.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, Team } from '../state/state-store.js';
import { requestNeeds, type RequestNeeds } from './request-needs.js';
import { countPromptTokens } from '../tokens/prompt-tokens.js';
import { createRoutePlan, singleTargetPlan, type RoutePlan, type RoutingDecision } from './route-plan.js';
import { routeConfigIssues, routingSchema, type RetryPolicy, type TargetRef } from './route-schema.js';
import type { EmbedderSource, SemanticLogger } from './semantic-rules.js';
import type { ResolvedTarget } from './strategies.js';
import { createTargetHealth, type BreakerStateEntry, type TargetHealth } from './target-health.js';

export type { ResolvedTarget } from './strategies.js';
export type { RoutingDecision } from './route-plan.js';
export type { BreakerStateEntry } from './target-health.js';

/**
 * A public model name resolved for one request. Created per request by `resolve` (cheap: a few fields);
 * `plan()` orders the targets for this request (strategy, capabilities, health) and never rejects.
 */
export interface ResolvedModel {
  readonly name: string;
  /** Every target the route may use, in config order, its `contextFallback` last (e.g. for a worst-case price). */
  readonly targets: readonly ResolvedTarget[];
  readonly retry: RetryPolicy;
  /** Where a context-length rejection is retried, if the route names one. */
  readonly contextFallback?: ResolvedTarget;
  readonly health: TargetHealth;
  /** Filled by `plan()`: which route variant, strategy and semantic rule decided. */
  readonly decision: RoutingDecision;
  plan(req: ChatRequest): Promise<ResolvedTarget[]>;
}

/** Request facts route conditions and strategies may use; all optional. */
export interface ResolveOptions {
  /** The normalised request: its `metadata` feeds conditions; prompt size is estimated from it when needed. */
  request?: ChatRequest;
  /** Incoming HTTP headers (lower-case names, as Node gives them). */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** Overrides `request.body.metadata`. */
  metadata?: Readonly<Record<string, unknown>>;
  /**
   * The pipeline's prompt-token counter (memoised per request), so routing and admission count at most once;
   * called only when a condition or strategy needs the figure. Without it the catalog counts from `request`.
   */
  promptTokens?: () => number;
}

/**
 * The models a team may call and how each is routed. Built once per config; `resolve` is a map lookup plus the
 * route's conditions. Throws 404 `model_not_found` for unknown names (or when no route variant matches) and
 * 403 `model_not_allowed` for names the team may not use.
 */
export interface ModelCatalog {
  resolve(name: string, team: Team, key?: ApiKey, opts?: ResolveOptions): ResolvedModel;
  /** Public model names the team may use (for GET /v1/models). */
  list(team: Team, key?: ApiKey): { id: string; ownedBy: string }[];
  /** Price and limits of an upstream model, if the model table lists it. */
  info(provider: string, upstreamModel: string): ModelConfig | undefined;
  /** Circuit breaker state of every target seen (configured or used), for metrics and `/readyz`. */
  breakerStates(): BreakerStateEntry[];
  /** Resolves once semantic routes have embedded their rule examples (requests wait for it by themselves). */
  ready(): Promise<void>;
}

export interface CatalogDeps {
  /**
   * For `semantic` routes: the embedder or a promise of it (e.g. `backend.ready.then(() => backend.embedder())`).
   * Until it resolves, and forever if it is null, semantic routes use their default targets.
   */
  embedder?: EmbedderSource;
  logger?: SemanticLogger;
  /** Injected for tests: weighted/latency draws, breaker clock. */
  random?: () => number;
  now?: () => number;
}

export function createModelCatalog(config: GatewayConfig, deps: CatalogDeps = {}): ModelCatalog {
  // Parsed again so hand-built configs (tests, benchmarks) without the sections still get the defaults.
  const routes = config.routes ?? {};
  const routing = routingSchema.parse(config.routing ?? {});
  const issues = routeConfigIssues({ providers: config.providers, models: config.models, routes, routing });
  if (issues.length) throw new Error(`invalid routes: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const retry: RetryPolicy = routing.retry;
  const health = createTargetHealth(routing, deps.now);
  const random = deps.random ?? Math.random;

  const byUpstream = new Map<string, ModelConfig>();
  for (const m of Object.values(config.models)) byUpstream.set(`${m.provider}/${m.upstream}`, m);
  const resolveTarget = (ref: TargetRef): ResolvedTarget => {
    const r = typeof ref === 'string' ? { model: ref, provider: undefined, weight: 1 } : ref;
    if (r.provider !== undefined) {
      return { provider: r.provider, upstreamModel: r.model, info: byUpstream.get(`${r.provider}/${r.model}`), weight: r.weight };
    }
    const m = config.models[r.model];
    if (m) return { provider: m.provider, upstreamModel: m.upstream, info: m, weight: r.weight };
    const slash = r.model.indexOf('/');
    const provider = r.model.slice(0, slash);
    const upstreamModel = r.model.slice(slash + 1);
    return { provider, upstreamModel, info: byUpstream.get(r.model), weight: r.weight };
  };

  /** Public name → its variants, first match wins. Routes shadow model-table entries of the same name. */
  const byName = new Map<string, RoutePlan[]>();
  for (const name of Object.keys(config.models)) {
    byName.set(name, [singleTargetPlan(name, resolveTarget(name), retry)]);
  }
  for (const [name, value] of Object.entries(routes)) {
    const specs = Array.isArray(value) ? value : [value];
    const plans = specs.map((s, i) =>
      createRoutePlan(Array.isArray(value) ? `${name}[${i}]` : name, s, { resolveTarget, health, retry, embedder: deps.embedder, random, logger: deps.logger }),
    );
    // A model-table entry of the same name serves requests no variant matched.
    const table = byName.get(name);
    byName.set(name, table ? [...plans, ...table] : plans);
  }
  // Register every configured target so breaker states list them before their first request.
  for (const plans of byName.values()) for (const p of plans) for (const t of [...p.targets, ...(p.contextFallback ? [p.contextFallback] : [])]) health.state(t);

  const matches = (patterns: string[], name: string, provider: string) =>
    patterns.some((p) => p === '*' || p === name || p === `${provider}/*`);
  // A key's own list, when present, narrows its team's.
  const allowed = (team: Team, key: ApiKey | undefined, name: string, provider: string) => refusedBy(team, key, name, provider) === undefined;
  /** Which list refuses `name`: the team's, the key's own, or none. */
  const refusedBy = (team: Team, key: ApiKey | undefined, name: string, provider: string): 'team' | 'key' | undefined =>
    !matches(team.allowedModels, name, provider) ? 'team' : key?.allowedModels && !matches(key.allowedModels, name, provider) ? 'key' : undefined;

  /** `promptTokens`: the request's memoised counter, shared by conditions and strategies (else counted in `plan`). */
  function perRequest(name: string, plan: RoutePlan, promptTokens: (() => number) | undefined): ResolvedModel {
    let needs: RequestNeeds | undefined;
    const decision: RoutingDecision = { route: plan.id, strategy: plan.strategy };
    return {
      name,
      targets: withFallback(plan),
      retry: plan.retry,
      contextFallback: plan.contextFallback,
      health,
      decision,
      plan(req) {
        const needsOf = () => (needs ??= requestNeeds(req, promptTokens ? promptTokens() : countPromptTokens(req, plan.targets[0]!.upstreamModel)));
        return plan.order(req, needsOf, decision);
      },
    };
  }

  const catalog: ModelCatalog = {
    resolve(name, team, key, opts) {
      const plans = byName.get(name);
      if (plans) {
        const by = refusedBy(team, key, name, plans[0]!.targets[0]!.provider);
        if (by) throw notAllowed(name, by);
        const request = opts?.request;
        const promptTokens = tokenCounter(opts, plans[0]!.targets[0]!.upstreamModel);
        const input = {
          team: team.id,
          headers: opts?.headers,
          metadata: opts?.metadata ?? (request?.body.metadata as Record<string, unknown> | undefined),
          // Without the request or a counter, prompt-size conditions see 0.
          promptTokens: promptTokens ?? (() => 0),
        };
        const plan = plans.length === 1 && !plans[0]!.conditional ? plans[0] : plans.find((p) => p.when(input));
        if (!plan) throw new GatewayError('model_not_found', `No route of the model '${name}' applies to this request.`, { param: 'model' });
        return perRequest(name, plan, promptTokens);
      }
      const slash = name.indexOf('/');
      const provider = slash > 0 ? name.slice(0, slash) : '';
      const upstreamModel = name.slice(slash + 1);
      if (!provider || !config.providers[provider] || !upstreamModel) {
        throw new GatewayError('model_not_found', `The model '${name}' does not exist or you do not have access to it.`, { param: 'model' });
      }
      const by = refusedBy(team, key, name, provider);
      if (by) throw notAllowed(name, by);
      const target: ResolvedTarget = { provider, upstreamModel, info: byUpstream.get(name) };
      return perRequest(name, singleTargetPlan(name, target, retry), tokenCounter(opts, upstreamModel));
    },
    list(team, key) {
      return [...byName.entries()]
        .filter(([name, plans]) => allowed(team, key, name, plans[0]!.targets[0]!.provider))
        .map(([name, plans]) => ({ id: name, ownedBy: plans[0]!.targets[0]!.provider }));
    },
    info: (provider, upstreamModel) => byUpstream.get(`${provider}/${upstreamModel}`),
    breakerStates: () => health.breakerStates(),
    ready: async () => {
      await Promise.all([...byName.values()].flat().map((p) => p.ready));
    },
  };
  return catalog;
}

/**
 * A plan's targets plus its `contextFallback` (last), once per plan: the fallback may serve the request, so the
 * budget hold (reserved at the dearest of `targets`) must cover its price too.
 */
const allTargets = new WeakMap<RoutePlan, readonly ResolvedTarget[]>();
function withFallback(plan: RoutePlan): readonly ResolvedTarget[] {
  const fb = plan.contextFallback;
  if (!fb) return plan.targets;
  let all = allTargets.get(plan);
  if (!all) {
    all = plan.targets.some((t) => t.provider === fb.provider && t.upstreamModel === fb.upstreamModel) ? plan.targets : [...plan.targets, fb];
    allTargets.set(plan, all);
  }
  return all;
}

/** The caller's counter, or one counting `opts.request` once; undefined without either. Counted only when asked. */
function tokenCounter(opts: ResolveOptions | undefined, upstreamModel: string): (() => number) | undefined {
  if (opts?.promptTokens) return opts.promptTokens;
  const request = opts?.request;
  if (!request) return undefined;
  let tokens: number | undefined;
  return () => (tokens ??= countPromptTokens(request, upstreamModel));
}

const notAllowed = (name: string, by: 'team' | 'key') =>
  new GatewayError(
    'model_not_allowed',
    by === 'team'
      ? `Your team is not allowed to use the model '${name}'. GET /v1/models lists the models you may use; ask the platform team to add it to your team's allowed models.`
      : `This API key is not allowed to use the model '${name}' (the key's own model list refuses it, although your team may use it). GET /v1/models lists the models this key may use; use another key or ask your team admin to add it to the key.`,
    { param: 'model' },
  );
