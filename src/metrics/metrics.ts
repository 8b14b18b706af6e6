/**
 * Prometheus metrics (prom-client) with a small API the pipeline calls. Each `createMetrics()` owns its own
 * Registry, so several gateways in one process (tests, benchmarks) never share or clash on series.
 *
 * Cardinality: labels are status codes, team ids, public model names, provider names, guard names, error classes
 * — never key ids, user ids or request text. Model and team label values are capped (see `bounded-labels.ts`)
 * because `provider/<anything>` model names come from clients.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestContext } from '../pipeline/context.js';
import type { BudgetKind, BudgetPeriod, Scope } from '../state/types.js';
import { createBoundedLabel } from './bounded-labels.js';
import { createLatencyReader, type LatencySummary } from './latency-reader.js';
import { createBudgetGauges } from './budget-gauges.js';
import { createKeySeries } from './key-series.js';
import type { ConnectionStats } from '../../providers/connection-gate.js';

export type BreakerState = 'closed' | 'open' | 'half_open';
export type CacheResult = 'hit' | 'miss' | 'bypass';

/**
 * The gateway's metrics. Lifetime: one per gateway process (or per test gateway). Every `record*`/`set*` method
 * is synchronous, cheap (cached label children; per-request counts added to the counters when collected, no
 * allocation beyond a map lookup key) and never throws.
 */
export interface Metrics {
  /** The registry (default process metrics included), e.g. to add a collector. */
  readonly registry: Registry;
  /** Content-Type of `render()` (Prometheus text exposition 0.0.4). */
  readonly contentType: string;
  /**
   * Called once per chat request when it ends (success, error, abort): request count by status/team/model/
   * provider, latency (total, gateway overhead, time to first token), tokens and cost, the cache result and
   * upstream errors by class (one per failed attempt in `ctx.attempts`).
   */
  recordRequest(ctx: RequestContext, now?: number): void;
  /**
   * A chat request the HTTP layer answered before the pipeline ran (401 bad key, 400 invalid_json, 413, 415):
   * counted in `requests_total` (model and provider `none`; team when the key was valid), with no latency sample.
   * Called by the /v1 routes' onResponse hook; without it a wave of bad keys or oversized bodies is invisible.
   */
  recordRefused(status: number, teamId?: string, code?: string): void;
  /** A guard took an action (`block`, `redact`, `pseudonymise`, `allow`, ...). */
  recordGuard(guard: string, action: string): void;
  /**
   * One cache lookup: its latency by result and, on a hit, the cost saved. Results are *counted* by
   * `recordRequest` from `ctx.cache`, not here, so a request is never counted twice.
   */
  recordCache(result: CacheResult, savedMicros?: number, lookupMs?: number): void;
  /**
   * One shadow comparison of a team's would-be semantic hit (docs/semantic.md, calibration): by similarity band
   * (its lower edge) and outcome, and what serving it would have saved.
   */
  recordSemanticComparison(teamId: string, band: string, agreed: boolean, wouldSaveMicros: number): void;
  /**
   * Remaining budget after an operation, and its limit (`budget-gauges.ts`: one metric per unit). Only `team:`
   * scopes are exported.
   */
  setBudgetRemaining(scope: Scope, period: BudgetPeriod, kind: BudgetKind, remaining: number, limit?: number): void;
  /**
   * A provider billed more than the request's budget hold (the excess is charged all the same): counted per team,
   * with the excess in USD, so an operator sees how often and how far the hold bound misses.
   */
  recordBudgetOverrun(teamId: string, excessMicros: number): void;
  /** Circuit breaker state per provider and upstream model (0 closed, 1 half-open, 2 open). */
  setBreakerState(provider: string, model: string, state: BreakerState): void;
  /**
   * Where the upstream connection gauges (`upstream_connections{provider,state}`, `upstream_connection_limit`)
   * read each provider's connection use at scrape time (the runtime's current adapters).
   */
  watchUpstreamConnections(read: () => Iterable<readonly [string, ConnectionStats]>): void;
  /** Latency percentiles of this process since start, from the request histogram (optionally one team). */
  latency(teamId?: string): Promise<LatencySummary>;
  /** The text exposition for `GET /metrics`. */
  render(): Promise<string>;
}

// Up to 10 min: long reasoning streams and the default total timeout (600 s) fall in a bucket of their own.
const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 600];
const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * One series of request metrics (status, team, model, provider). Its counts wait here and are added to the
 * counters when they are collected (scrape, dashboard): a labelled prom-client `inc` hashes and validates its
 * labels on every call, five or six times a request, where adding to a field costs nothing.
 */
interface RequestSeries {
  labels: { team: string; model: string; provider: string };
  status: string;
  /** The error code of the answer (`budget_exceeded`, `rate_limit_exceeded`, …), `none` for a success. */
  code: string;
  latency: Histogram.Internal<string>;
  ttft: Histogram.Internal<string>;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costMicros: number;
}

export interface MetricsOptions {
  prefix?: string;
  /** Node's standard process and runtime metrics (prom-client's, under their standard names: `process_*`, `nodejs_*`). */
  defaultMetrics?: boolean;
  /** Per-key series for the first this many keys seen (`server.metrics.keySeries`); 0 = none. */
  keySeries?: number;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const p = opts.prefix ?? 'gateway_';
  const registry = new Registry();
  // Unprefixed: dashboards and alerts written for any Node service (process_cpu_seconds_total, nodejs_heap_*) work.
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const series = new Map<string, RequestSeries>();
  // Refused before the pipeline: a count only (no histogram children, so latency stays about answered requests).
  const refused = new Map<string, { status: string; code: string; team: string; requests: number }>();
  new Counter({
    name: `${p}requests_total`,
    help: 'Chat completion requests by HTTP status (499 = client closed), error code (none = success; budget_exceeded vs rate_limit_exceeded for 429s), team, model and provider.',
    labelNames: ['status', 'code', 'team', 'model', 'provider'] as const,
    registers,
    collect() {
      for (const s of series.values()) {
        if (s.requests) this.inc({ status: s.status, code: s.code, ...s.labels }, s.requests);
        s.requests = 0;
      }
      for (const r of refused.values()) {
        if (r.requests) this.inc({ status: r.status, code: r.code, team: r.team, model: 'none', provider: 'none' }, r.requests);
        r.requests = 0;
      }
    },
  });
  // Requests by the API they came in through (chat, messages, responses, embeddings): counted like `series`.
  const byApi = new Map<string, { api: string; status: string; team: string; requests: number }>();
  new Counter({
    name: `${p}api_requests_total`,
    help: 'Requests answered by the pipeline, by the API they came in through (chat, messages, responses, embeddings), HTTP status and team.',
    labelNames: ['api', 'status', 'team'] as const,
    registers,
    collect() {
      for (const r of byApi.values()) {
        if (r.requests) this.inc({ api: r.api, status: r.status, team: r.team }, r.requests);
        r.requests = 0;
      }
    },
  });
  const duration = new Histogram({
    name: `${p}request_duration_seconds`,
    help: 'Total time from arrival to the end of the response (streams: the last byte).',
    labelNames: ['team', 'model', 'provider'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const overhead = new Histogram({
    name: `${p}overhead_seconds`,
    help: 'Time spent in the gateway itself before the first byte: (time to first byte or total) minus upstream wait.',
    labelNames: ['stream'] as const,
    buckets: OVERHEAD_BUCKETS,
    registers,
  });
  const ttft = new Histogram({
    name: `${p}time_to_first_token_seconds`,
    help: 'Streaming requests: time from arrival to the first chunk written to the client.',
    labelNames: ['model', 'provider'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  new Counter({
    name: `${p}tokens_total`,
    help: 'Tokens by team, model, provider and type (prompt, completion, cached = prompt tokens read from the provider cache).',
    labelNames: ['team', 'model', 'provider', 'type'] as const,
    registers,
    collect() {
      for (const s of series.values()) {
        if (s.promptTokens) this.inc({ ...s.labels, type: 'prompt' }, s.promptTokens);
        if (s.completionTokens) this.inc({ ...s.labels, type: 'completion' }, s.completionTokens);
        if (s.cachedTokens) this.inc({ ...s.labels, type: 'cached' }, s.cachedTokens);
        s.promptTokens = s.completionTokens = s.cachedTokens = 0;
      }
    },
  });
  new Counter({
    name: `${p}cost_usd_total`,
    help: 'Cost in USD charged to budgets, by team, model and provider.',
    labelNames: ['team', 'model', 'provider'] as const,
    registers,
    collect() {
      for (const s of series.values()) {
        if (s.costMicros) this.inc(s.labels, s.costMicros / 1e6);
        s.costMicros = 0;
      }
    },
  });
  const cacheResults = new Counter({
    name: `${p}cache_requests_total`,
    help: 'Requests by cache result (hit, miss, bypass).',
    labelNames: ['result'] as const,
    registers,
  });
  const cacheLookup = new Histogram({
    name: `${p}cache_lookup_seconds`,
    help: 'Cache lookup time (exact + semantic) by result.',
    labelNames: ['result'] as const,
    buckets: OVERHEAD_BUCKETS,
    registers,
  });
  const cacheSaved = new Counter({ name: `${p}cache_saved_usd_total`, help: 'Cost avoided by cache hits, USD.', registers });
  const semanticComparisons = new Counter({
    name: `${p}cache_semantic_comparisons_total`,
    help: "Would-be semantic hits compared with the provider's answer, by team, similarity band and outcome (agree = serving would have been right).",
    labelNames: ['team', 'band', 'outcome'] as const,
    registers,
  });
  const semanticWouldSave = new Counter({
    name: `${p}cache_semantic_would_save_usd_total`,
    help: 'What serving the compared would-be semantic hits would have saved, by team and outcome, USD.',
    labelNames: ['team', 'outcome'] as const,
    registers,
  });
  const guards = new Counter({
    name: `${p}guard_actions_total`,
    help: 'Guard actions by guard and action (block counts requests refused).',
    labelNames: ['guard', 'action'] as const,
    registers,
  });
  const budgetGauges = createBudgetGauges(p, registers);
  const upstreamErrors = new Counter({
    name: `${p}upstream_errors_total`,
    help: 'Failed upstream attempts by provider and error class (failovers included).',
    labelNames: ['provider', 'class'] as const,
    registers,
  });
  // Waits for a connection of a provider capped by `maxConnections` (docs/routing.md): counted from the attempts.
  const upstreamQueued = new Counter({
    name: `${p}upstream_queued_total`,
    help: 'Upstream attempts that waited for a free connection of a provider capped by maxConnections.',
    labelNames: ['provider'] as const,
    registers,
  });
  const budgetOverruns = new Counter({
    name: `${p}budget_overruns_total`,
    help: 'Requests a provider billed above their budget hold (the excess is charged; the scope is refused until it is covered).',
    labelNames: ['team'] as const,
    registers,
  });
  const budgetOverrunUsd = new Counter({
    name: `${p}budget_overrun_usd_total`,
    help: 'USD billed above budget holds (charged as debt to the scope).',
    labelNames: ['team'] as const,
    registers,
  });
  const upstreamQueueTimeouts = new Counter({
    name: `${p}upstream_queue_timeouts_total`,
    help: 'Upstream attempts that gave up waiting for a connection after queueTimeoutMs (failed over, or 503 upstream_queue_timeout).',
    labelNames: ['provider'] as const,
    registers,
  });
  const upstreamQueueWait = new Histogram({
    name: `${p}upstream_queue_wait_seconds`,
    help: 'Time attempts waited for a free connection of a provider capped by maxConnections.',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  let readConnections: () => Iterable<readonly [string, ConnectionStats]> = () => [];
  new Gauge({
    name: `${p}upstream_connections`,
    help: 'Upstream requests per provider: holding a connection (active) or waiting for one under maxConnections (waiting).',
    labelNames: ['provider', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const [provider, c] of readConnections()) {
        this.labels(provider, 'active').set(c.active);
        this.labels(provider, 'waiting').set(c.waiting);
      }
    },
  });
  new Gauge({
    name: `${p}upstream_connection_limit`,
    help: 'Configured maxConnections per provider (absent: no cap).',
    labelNames: ['provider'] as const,
    registers,
    collect() {
      this.reset();
      for (const [provider, c] of readConnections()) if (c.limit !== undefined) this.labels(provider).set(c.limit);
    },
  });
  const breaker = new Gauge({
    name: `${p}circuit_breaker_state`,
    help: 'Circuit breaker state per provider and upstream model: 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider', 'model'] as const,
    registers,
  });

  const overheadStream = overhead.labels('true');
  const overheadJson = overhead.labels('false');
  const teamLabel = createBoundedLabel(500);
  // A request's model name without a `/` is a catalog name (an unknown one is refused before the request has a
  // model), so the config bounds those; only `provider/<anything>` pass-through names come from clients. Capped
  // apart, invented names cannot push configured models (first used late, or added by a reload) into `other`.
  const catalogModelLabel = createBoundedLabel(1000);
  const passThroughModelLabel = createBoundedLabel(200);
  const modelLabel = (name: string) => (name.includes('/') ? passThroughModelLabel(name) : catalogModelLabel(name));
  // Breakers are per upstream model, where pass-through names have no `/`: a cap of their own.
  const breakerModelLabel = createBoundedLabel(200);
  const providerLabel = createBoundedLabel(50);
  const latencyReader = createLatencyReader(duration);
  const keySeries = createKeySeries(p, registers, opts.keySeries ?? 0, teamLabel);

  function seriesOf(status: number, code: string, team: string, model: string, provider: string): RequestSeries {
    const k = `${status}\u0000${code}\u0000${team}\u0000${model}\u0000${provider}`;
    let s = series.get(k);
    if (!s) {
      const labels = { team, model, provider };
      s = {
        labels,
        status: String(status),
        code,
        latency: duration.labels(labels),
        ttft: ttft.labels(model, provider),
        requests: 0,
        promptTokens: 0,
        completionTokens: 0,
        cachedTokens: 0,
        costMicros: 0,
      };
      series.set(k, s);
    }
    return s;
  }

  return {
    registry,
    contentType: registry.contentType,
    recordRequest(ctx, now = performance.now()) {
      try {
        const team = teamLabel(ctx.principal?.team.id ?? '');
        const model = modelLabel(ctx.model?.name ?? '');
        const provider = providerLabel(ctx.target?.provider ?? ctx.attempts[ctx.attempts.length - 1]?.provider ?? '');
        // Error codes come from the registry (core/errors.ts) plus client_closed_request: a bounded set.
        const code = ctx.errorCode ?? (ctx.status && ctx.status < 400 ? 'none' : 'internal_error');
        const c = seriesOf(ctx.status || 500, code, team, model, provider);
        keySeries?.record(ctx, code);
        const totalMs = Math.max(0, now - ctx.startedAt);
        c.requests++;
        const ak = `${ctx.api}\u0000${ctx.status || 500}\u0000${team}`;
        let a = byApi.get(ak);
        if (!a) byApi.set(ak, (a = { api: ctx.api, status: String(ctx.status || 500), team, requests: 0 }));
        a.requests++;
        c.latency.observe(totalMs / 1000);
        (ctx.stream ? overheadStream : overheadJson).observe(Math.max(0, (ctx.ttfbMs ?? totalMs) - ctx.upstreamMs) / 1000);
        if (ctx.stream && ctx.ttfbMs !== undefined && ctx.status === 200) c.ttft.observe(ctx.ttfbMs / 1000);
        const u = ctx.usage;
        if (u) {
          if (u.promptTokens > 0) c.promptTokens += u.promptTokens;
          if (u.completionTokens > 0) c.completionTokens += u.completionTokens;
          if (u.cachedTokens > 0) c.cachedTokens += u.cachedTokens;
        }
        if (ctx.costMicros && ctx.costMicros > 0) c.costMicros += ctx.costMicros;
        if (ctx.cache) cacheResults.labels(ctx.cache).inc();
        for (const a of ctx.attempts) if (!a.ok) upstreamErrors.labels(providerLabel(a.provider), a.errorClass ?? 'unknown').inc();
        for (const a of ctx.attempts) {
          if (a.queueMs === undefined) continue;
          const provider = providerLabel(a.provider);
          upstreamQueued.labels(provider).inc();
          upstreamQueueWait.labels(provider).observe(a.queueMs / 1000);
          if (a.errorClass === 'queue_timeout') upstreamQueueTimeouts.labels(provider).inc();
        }
      } catch {
        // Metrics must never break a request.
      }
    },
    recordRefused(status, teamId, code = 'none') {
      const team = teamLabel(teamId ?? '');
      const k = `${status}\u0000${code}\u0000${team}`;
      let r = refused.get(k);
      if (!r) refused.set(k, (r = { status: String(status), code, team, requests: 0 }));
      r.requests++;
    },
    recordGuard(guard, action) {
      guards.labels(guard, action).inc();
    },
    recordCache(result, savedMicros, lookupMs) {
      if (lookupMs !== undefined) cacheLookup.labels(result).observe(lookupMs / 1000);
      if (result === 'hit' && savedMicros && savedMicros > 0) cacheSaved.inc(savedMicros / 1e6);
    },
    recordSemanticComparison(teamId, band, agreed, wouldSaveMicros) {
      const team = teamLabel(teamId);
      const outcome = agreed ? 'agree' : 'disagree';
      // The band's lower edge only: the embedder id in the stored band name is not a useful label.
      semanticComparisons.labels(team, band.slice(band.lastIndexOf('|') + 1), outcome).inc();
      if (wouldSaveMicros > 0) semanticWouldSave.labels(team, outcome).inc(wouldSaveMicros / 1e6);
    },
    setBudgetRemaining(scope, period, kind, remaining, limit) {
      if (!scope.startsWith('team:')) return;
      budgetGauges.set(teamLabel(scope.slice(5)), period, kind, remaining, limit);
    },
    recordBudgetOverrun(teamId, excessMicros) {
      const team = teamLabel(teamId);
      budgetOverruns.labels(team).inc();
      if (excessMicros > 0) budgetOverrunUsd.labels(team).inc(excessMicros / 1e6);
    },
    setBreakerState(provider, model, state) {
      breaker.labels(providerLabel(provider), breakerModelLabel(model)).set(BREAKER_VALUE[state]);
    },
    watchUpstreamConnections(read) {
      readConnections = read;
    },
    latency: (teamId) => latencyReader.summary(teamId),
    render: () => registry.metrics(),
  };
}
