/**
 * Configuration of routes (public model name → targets + strategy) and of failover (retries, circuit breakers).
 * `src/config/schema.ts` mounts `routesSchema` at `routes` and `routingSchema` at `routing`; `docs/routing.md`
 * documents every field.
 */
import { z } from 'zod';

/**
 * A target: a models-table name (`gpt-4o-mini`), `provider/upstream-id` (`openai/gpt-4.1`), or an object naming
 * the provider and upstream id explicitly, optionally with a weight (strategy `weighted`).
 */
export const targetRefSchema = z.union([
  z.string().min(1),
  z
    .object({
      /** A models-table name, or with `provider` the upstream model id. */
      model: z.string().min(1),
      provider: z.string().optional(),
      weight: z.number().nonnegative().default(1),
    })
    .strict(),
]);

const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);

/** All given fields must hold. Header names are case-insensitive; a value `*` means "present". */
export const conditionSchema = z
  .object({
    teams: z.array(z.string()).min(1).optional(),
    headers: z.record(z.string(), oneOrMany).optional(),
    /** Matches the request's OpenAI `metadata` object. */
    metadata: z.record(z.string(), oneOrMany).optional(),
    minPromptTokens: z.number().int().nonnegative().optional(),
    maxPromptTokens: z.number().int().positive().optional(),
  })
  .strict();

export const retrySchema = z
  .object({
    /**
     * Extra passes over the targets that failed with a retryable error. Default 0 = fail over to the other
     * targets only: the official SDKs already retry 429/5xx themselves (honouring retry-after), and retries at
     * both layers multiply.
     */
    retries: z.number().int().min(0).max(10).default(0),
    /** Hard cap on upstream attempts per request, failovers and retries together. */
    maxAttempts: z.number().int().min(1).max(20).default(4),
    /** Backoff before retry pass n: uniform random in [0, min(maxBackoffMs, backoffMs * 2^(n-1))] ("full jitter"). */
    backoffMs: z.number().int().nonnegative().default(200),
    maxBackoffMs: z.number().int().nonnegative().default(2_000),
    /** A target asking (retry-after) for a longer wait than this is not retried within the request. */
    maxRetryAfterMs: z.number().int().nonnegative().default(5_000),
  })
  .strict();

export const breakerSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Opens after this many failures inside the window (0 disables the count rule). */
    failureThreshold: z.number().int().nonnegative().default(5),
    /** ...or when failures / attempts in the window reach this ratio, once `minRequests` were seen. */
    failureRatio: z.number().gt(0).max(1).default(0.5),
    minRequests: z.number().int().positive().default(20),
    windowMs: z.number().int().positive().default(60_000),
    /** How long an open breaker rejects before letting probes through (half-open). */
    openMs: z.number().int().positive().default(30_000),
    /** Concurrent probe attempts allowed while half-open. */
    halfOpenProbes: z.number().int().positive().default(1),
  })
  .strict();

/** Same fields without defaults, so an override changes only what it names. */
const overrideOf = <S extends z.ZodObject>(schema: S) =>
  z.object(Object.fromEntries(Object.entries(schema.shape).map(([k, v]) => [k, z.optional((v as z.ZodDefault).unwrap() as z.ZodType)]))).strict() as unknown as z.ZodType<Partial<z.output<S>>>;
const retryOverrideSchema = overrideOf(retrySchema);
const breakerOverrideSchema = overrideOf(breakerSchema);

const ruleSchema = z
  .object({
    name: z.string().min(1),
    /** Example utterances; a prompt close enough to any of them selects this rule. */
    examples: z.array(z.string().min(1)).min(1),
    targets: z.array(targetRefSchema).min(1),
  })
  .strict();

export const strategySchema = z.enum(['ordered', 'weighted', 'cost', 'latency', 'semantic']);

export const routeSpecSchema = z
  .object({
    /** When given, this variant applies only to matching requests (variants are tried in order). */
    when: conditionSchema.optional(),
    strategy: strategySchema.default('ordered'),
    /** The candidates; for `semantic`, the default used when no rule is close enough. */
    targets: z.array(targetRefSchema).min(1),
    /** `semantic` only. */
    rules: z.array(ruleSchema).default([]),
    /** `semantic` only: minimum cosine similarity for a rule to win. */
    threshold: z.number().min(-1).max(1).default(0.5),
    /** `latency` only: share of requests that try a random order, so recovered targets get measured again. */
    explore: z.number().min(0).max(1).default(0.05),
    /** Where a request goes when a target rejects it as too long for its context window. */
    contextFallback: targetRefSchema.optional(),
    /** Overrides `routing.retry` for this route. */
    retry: retryOverrideSchema.optional(),
  })
  .strict()
  .refine((r) => r.strategy !== 'semantic' || r.rules.length > 0, { message: 'a semantic route needs `rules`', path: ['rules'] });

/** `routes`: public name → one route, or a list of variants selected by their `when` conditions (first match). */
export const routesSchema = z.record(z.string(), z.union([routeSpecSchema, z.array(routeSpecSchema).min(1)]));

/** `routing`: failover defaults, and breaker settings per provider. */
export const routingSchema = z
  .object({
    retry: retrySchema.default(() => retrySchema.parse({})),
    breaker: breakerSchema.default(() => breakerSchema.parse({})),
    /** Per provider name: breaker overrides (e.g. a self-hosted endpoint that needs a shorter `openMs`). */
    providers: z.record(z.string(), z.object({ breaker: breakerOverrideSchema.optional() }).strict()).default({}),
  })
  .strict();

export type TargetRef = z.output<typeof targetRefSchema>;
export type RouteCondition = z.output<typeof conditionSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type BreakerPolicy = z.output<typeof breakerSchema>;
export type RouteSpec = z.output<typeof routeSpecSchema>;
export type RoutesConfig = z.output<typeof routesSchema>;
export type RoutingConfig = z.output<typeof routingSchema>;
export type StrategyName = z.output<typeof strategySchema>;

/** The slice of the gateway config route checks need (kept structural to avoid an import cycle with schema.ts). */
export interface RouteCheckInput {
  providers: Record<string, unknown>;
  models: Record<string, { provider: string; upstream: string }>;
  routes?: RoutesConfig;
  routing?: RoutingConfig;
}

/** Every reference a route makes that the config cannot satisfy, with its path; empty when all resolve. */
export function routeConfigIssues(cfg: RouteCheckInput): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const check = (ref: TargetRef, path: (string | number)[]) => {
    const msg = unresolvable(cfg, ref);
    if (msg) issues.push({ path, message: msg });
  };
  for (const [name, value] of Object.entries(cfg.routes ?? {})) {
    const variants = Array.isArray(value) ? value : [value];
    variants.forEach((v, i) => {
      const base: (string | number)[] = Array.isArray(value) ? ['routes', name, i] : ['routes', name];
      v.targets.forEach((t, j) => check(t, [...base, 'targets', j]));
      v.rules.forEach((r, j) => r.targets.forEach((t, k) => check(t, [...base, 'rules', j, 'targets', k])));
      if (v.contextFallback) check(v.contextFallback, [...base, 'contextFallback']);
    });
  }
  for (const p of Object.keys(cfg.routing?.providers ?? {})) {
    if (!cfg.providers[p]) issues.push({ path: ['routing', 'providers', p], message: `unknown provider "${p}"` });
  }
  return issues;
}

function unresolvable(cfg: RouteCheckInput, ref: TargetRef): string | undefined {
  const r = typeof ref === 'string' ? { model: ref, provider: undefined } : ref;
  if (r.provider !== undefined) return cfg.providers[r.provider] ? undefined : `unknown provider "${r.provider}"`;
  if (cfg.models[r.model]) return undefined;
  const slash = r.model.indexOf('/');
  if (slash > 0 && cfg.providers[r.model.slice(0, slash)] && slash < r.model.length - 1) return undefined;
  return `"${r.model}" is neither a name in \`models\` nor \`provider/model\` with a configured provider`;
}
