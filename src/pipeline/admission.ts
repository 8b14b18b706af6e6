/**
 * Stage 3: rate limits and budget reservation, before any provider is called.
 *
 * The worst case (estimated prompt + max output tokens, at the dearest target's price) is reserved atomically
 * across the team's and the key's budgets; streams extend the hold when output outgrows it; `settle` returns the
 * unused part exactly once (idempotent by request id), on success, error and client abort alike.
 */
import type { ChatRequest, Usage } from '../core/types.js';
import { GatewayError } from '../core/errors.js';
import type { ResolvedTarget } from '../routing/catalog.js';
import type { Runtime } from '../runtime.js';
import type { BudgetDenied, BudgetRemaining, RateLimitResult, Scope, ScopeBudgets } from '../state/state-store.js';
import { StateUnavailableError } from '../state/errors.js';
import { countPromptTokens } from '../tokens/prompt-tokens.js';
import { costMicros, microsToUsd, parsePrice, worstCaseCostMicros, type ParsedPrice } from '../usage/pricing.js';
import type { RequestContext } from './context.js';
import type { ResponseSink } from './response-sink.js';

/** The admitted request's hold on its budgets. One per request; `settle` may be called any number of times. */
export interface Admission {
  /** Output tokens the hold currently covers. */
  readonly heldOutputTokens: number;
  /** Grows the hold by at least `tokens` output tokens; throws 429 `budget_exceeded` when a budget refuses. */
  extendOrThrow(tokens: number): Promise<void>;
  /** Records the actual usage and releases the rest of the hold; only the first call counts. */
  settle(usage: Usage): Promise<void>;
}

/** Output tokens added per extension while a stream outgrows its hold. */
const EXTENSION_TOKENS = 1024;

/**
 * The worst case over every target the route may fail over to: each target's own output cap and price, the
 * dearest total wins. Which target is dearest depends on the request (a short prompt with a long answer is
 * dearest where output is dear), so it is computed per request, not by comparing prices. `price` is the highest
 * output price, for the cost of stream extensions.
 */
function worstCase(targets: readonly ResolvedTarget[], req: ChatRequest, prompt: () => number, defaultMaxOutput: number) {
  let outputTokens = 0;
  let cost = 0;
  let price: ParsedPrice | undefined;
  let unpriced = false;
  for (const t of targets) {
    // Without the client's own cap: a stream is metered as it goes, so it starts with the default hold and extends
    // it; a non-streamed answer arrives whole, so it holds the model's maximum output. Only a model entry without
    // `maxOutputTokens` leaves it the default, which a long answer can exceed.
    const modelMax = t.info?.maxOutputTokens;
    const cap = req.maxOutputTokens ?? (!req.stream && modelMax !== undefined ? modelMax : Math.min(modelMax ?? Infinity, defaultMaxOutput));
    const output = cap * req.n;
    if (output > outputTokens) outputTokens = output;
    const p = priceOf(t);
    if (!p) {
      unpriced = true;
      continue;
    }
    const c = worstCaseCostMicros(prompt(), output, p);
    if (c > cost) cost = c;
    if (!price || p.outputMicrosPerMTok > price.outputMicrosPerMTok) price = p;
  }
  return { outputTokens, cost, price, unpriced };
}

const prices = new WeakMap<object, ParsedPrice>();
/** The parsed price of a target (parsed once per model entry); undefined for unlisted `provider/model` names. */
export function priceOf(target: ResolvedTarget): ParsedPrice | undefined {
  const info = target.info;
  if (!info) return undefined;
  let p = prices.get(info);
  if (!p) {
    p = parsePrice({
      inputPerMTok: info.price.input,
      outputPerMTok: info.price.output,
      cachedInputPerMTok: info.price.cachedInput,
      cacheWritePerMTok: info.price.cacheWrite,
    });
    prices.set(info, p);
  }
  return p;
}

/**
 * Prompt tokens by tiktoken, counted at most once per request and only when needed (limits, reservation, or an
 * aborted stream's usage). The encoding follows the requested model name; provider-reported usage replaces the
 * estimate at settlement whenever there is one.
 */
export function estimatePromptTokens(ctx: RequestContext, req: ChatRequest): number {
  ctx.promptEstimate ??= countPromptTokens(req, req.model.slice(req.model.indexOf('/') + 1));
  return ctx.promptEstimate;
}

export async function admit(rt: Runtime, ctx: RequestContext, req: ChatRequest, sink: ResponseSink): Promise<Admission> {
  const { key, team } = ctx.principal!;
  const targets = ctx.model!.targets;
  // Counted only when a limit needs it: tiktoken is the costliest step of a request without budgets.
  const prompt = () => estimatePromptTokens(ctx, req);

  try {
    await checkRateLimits(rt, ctx, req, prompt, sink);
  } catch (err) {
    if (err instanceof StateUnavailableError) return failOpenOr(rt, ctx, err);
    throw err;
  }

  const scopes: ScopeBudgets[] = [];
  if (team.budgets.length) scopes.push({ scope: `team:${team.id}`, budgets: team.budgets });
  if (key.budgets.length) scopes.push({ scope: `key:${key.id}`, budgets: key.budgets });
  if (scopes.length === 0) {
    return { heldOutputTokens: Infinity, extendOrThrow: async () => undefined, settle: once((u) => settleUsage(rt, ctx, u, priceOf(targets[0]!), false)) };
  }

  const worst = worstCase(targets, req, prompt, rt.config.server.defaultMaxOutputTokens);
  if (worst.unpriced && scopes.some((s) => s.budgets.some((b) => b.usdMicros !== undefined))) {
    // Its cost would be 0: a USD budget would not hold (a pass-through name the model table does not list).
    throw new GatewayError(
      'model_not_allowed',
      `The model '${req.model}' has no price in the gateway's model table, so your USD budget cannot be enforced for it. Ask the platform team to add its price.`,
      { param: 'model' },
    );
  }
  const price = worst.price;
  // Long enough for the slowest target's attempt; a longer request (failover, a long stream) renews it.
  let leaseMs = 0;
  for (const t of targets) leaseMs = Math.max(leaseMs, rt.adapters.get(t.provider)?.config.timeouts.totalMs ?? 0);
  leaseMs += 60_000;
  let held = worst.outputTokens;
  try {
    const result = await rt.store.reserve({
      requestId: ctx.accountingId,
      teamId: team.id,
      scopes,
      costMicros: worst.cost,
      tokens: prompt() + held,
      leaseMs,
    });
    if (!result.ok) throw budgetExceeded(result);
    setBudgetHeaders(sink, result.remaining);
    for (const r of result.remaining) rt.metrics?.setBudgetRemaining(r.scope, r.period, r.kind, r.remaining);
  } catch (err) {
    if (!(err instanceof StateUnavailableError)) throw err;
    // The reserve may have landed with only its reply lost (Redis died after applying it, or answered after the
    // timeout). This request will not settle it, so release it — a no-op when it never landed — rather than
    // leave the hold until its lease runs out. Only then: during an outage most calls are never sent, and their
    // releases would crowd settlements out of the bounded retry queue.
    if (err.mayHaveApplied) {
      void rt.storeRetry.run('budget release', ctx.id, () => rt.store.settle({ requestId: ctx.accountingId, teamId: team.id, costMicros: 0, tokens: 0 }));
    }
    return failOpenOr(rt, ctx, err);
  }
  // A request can outlive its lease (failover attempts, backoff, a long stream that needs no extension). The
  // lease only exists to free the hold of a dead owner, so a live one renews it (an extend of nothing, never
  // refused) at half the lease, until it settles: one store call per half-lease, none for a short request.
  let renewing = true;
  let renewal: NodeJS.Timeout | undefined;
  const scheduleRenewal = () => {
    renewal = setTimeout(() => {
      rt.store
        .extend({ requestId: ctx.accountingId, teamId: team.id, costMicros: 0, tokens: 0, leaseMs })
        .catch(() => undefined) // unavailable: the next renewal retries; unknown: settled meanwhile
        .finally(() => renewing && scheduleRenewal());
    }, leaseMs / 2);
    renewal.unref();
  };
  scheduleRenewal();
  const stopRenewal = () => {
    renewing = false;
    clearTimeout(renewal);
  };
  return {
    get heldOutputTokens() {
      return held;
    },
    async extendOrThrow(tokens) {
      const more = Math.max(tokens, EXTENSION_TOKENS);
      let result;
      try {
        result = await rt.store.extend({ requestId: ctx.accountingId, teamId: team.id, costMicros: price ? worstCaseCostMicros(0, more, price) : 0, tokens: more, leaseMs });
      } catch (err) {
        if (err instanceof StateUnavailableError && rt.config.state.failMode === 'open') {
          held = Infinity;
          return;
        }
        throw err instanceof StateUnavailableError ? unavailable() : err;
      }
      if (!result.ok) throw budgetExceeded(result);
      held += more;
    },
    settle: once((usage) => {
      stopRenewal();
      return settleUsage(rt, ctx, usage, price, true);
    }),
  };
}

async function checkRateLimits(rt: Runtime, ctx: RequestContext, req: ChatRequest, prompt: () => number, sink: ResponseSink) {
  const { key, team } = ctx.principal!;
  // OpenAI counts a request against TPM by its prompt plus the max output it asks for.
  const tokens = () => prompt() + (req.maxOutputTokens ?? 0) * req.n;
  const checks: [Scope, typeof key.rateLimits][] = [
    [`key:${key.id}`, key.rateLimits],
    [`team:${team.id}`, team.rateLimits],
  ];
  let shown = false;
  const recorded: [Scope, string][] = [];
  // A refused request is not served, so it must not use up the windows that counted it already (the key's,
  // before the team's refused). Best effort: a failed release only ages out with its window.
  const releaseRecorded = () => {
    for (const [s, entry] of recorded) void rt.store.rateLimitRelease(s, entry).catch(() => undefined);
  };
  for (const [scope, limits] of checks) {
    if (!limits || (limits.rpm === undefined && limits.tpm === undefined)) continue;
    if (limits.tpm !== undefined && tokens() > limits.tpm) {
      // It can never fit, however long the client waits: no retry-after, and the SDKs are told not to retry.
      releaseRecorded();
      throw new GatewayError(
        'rate_limit_exceeded',
        `Request too large for ${scope.startsWith('key:') ? 'this key' : 'your team'}: ${tokens()} tokens (prompt + max output) against a limit of ${limits.tpm} tokens per minute. Shorten the prompt or lower max_tokens.`,
        { headers: { 'x-should-retry': 'false' } },
      );
    }
    const r = await rt.store.rateLimit({ scope, rpm: limits.rpm, tpm: limits.tpm, tokens: limits.tpm === undefined ? 0 : tokens() });
    // The narrowest scope's figures go in the headers (the key's when it has limits), as OpenAI shows one set.
    if (!shown || !r.allowed) setRateLimitHeaders(sink, r);
    shown = true;
    if (r.entry !== undefined) recorded.push([scope, r.entry]);
    if (!r.allowed) {
      releaseRecorded();
      const retryAfter = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      const kind = r.requests && r.requests.remaining <= 0 ? 'requests' : 'tokens';
      throw new GatewayError(
        'rate_limit_exceeded',
        `Rate limit reached for ${scope.startsWith('key:') ? 'this key' : 'your team'} on ${kind} per minute. Please try again in ${retryAfter}s.`,
        { headers: { 'retry-after': String(retryAfter) } },
      );
    }
  }
}

function setRateLimitHeaders(sink: ResponseSink, r: RateLimitResult) {
  for (const [kind, w] of [['requests', r.requests], ['tokens', r.tokens]] as const) {
    if (!w) continue;
    sink.setHeader(`x-ratelimit-limit-${kind}`, w.limit);
    sink.setHeader(`x-ratelimit-remaining-${kind}`, Math.max(0, w.remaining));
    sink.setHeader(`x-ratelimit-reset-${kind}`, formatDuration(w.resetMs));
  }
}

/** OpenAI's reset format: `1s`, `6m0s`, `250ms`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

function setBudgetHeaders(sink: ResponseSink, remaining: BudgetRemaining[]) {
  // The tightest USD and token budgets (one pass: this runs on every admitted request).
  let usd: BudgetRemaining | undefined;
  let tokens: BudgetRemaining | undefined;
  for (const r of remaining) {
    if (r.kind === 'usd') {
      if (!usd || r.remaining < usd.remaining) usd = r;
    } else if (!tokens || r.remaining < tokens.remaining) tokens = r;
  }
  if (usd) sink.setHeader('x-gateway-budget-remaining-usd', microsToUsd(Math.max(0, usd.remaining)));
  if (tokens) sink.setHeader('x-gateway-budget-remaining-tokens', Math.max(0, tokens.remaining));
  const reset = Math.min(usd?.resetsAt ?? Infinity, tokens?.resetsAt ?? Infinity);
  if (reset !== Infinity) sink.setHeader('x-gateway-budget-reset', isoOf(reset));
}

// Budgets reset at period boundaries: almost every request formats the same instant.
let lastIso: [number, string] = [NaN, ''];
function isoOf(ms: number): string {
  if (lastIso[0] !== ms) lastIso = [ms, new Date(ms).toISOString()];
  return lastIso[1];
}

export function budgetExceeded(d: Pick<BudgetDenied, 'scope' | 'period' | 'kind' | 'limit' | 'resetsAt'>): GatewayError {
  const [kindOfScope, id] = d.scope.split(':');
  const limit = d.kind === 'usd' ? `$${microsToUsd(d.limit)}` : `${d.limit} tokens`;
  const when = d.resetsAt ? `it resets at ${new Date(d.resetsAt).toISOString()}` : 'it does not reset (lifetime budget)';
  return new GatewayError(
    'budget_exceeded',
    `Budget exceeded: the ${d.period} ${d.kind === 'usd' ? 'USD' : 'token'} budget of ${kindOfScope} '${id}' (${limit}) is used up; ${when}.`,
    { headers: { 'x-should-retry': 'false' } },
  );
}

/** Records the actual cost. `reserved` says whether a hold exists to settle (else only the cost is computed). */
async function settleUsage(rt: Runtime, ctx: RequestContext, usage: Usage, reservedPrice: ParsedPrice | undefined, reserved: boolean) {
  // Billed at the price of the target that actually served (failover may have moved the request).
  const price = ctx.target ? priceOf(ctx.target) : reservedPrice;
  ctx.costMicros = price ? costMicros(usage, price) : 0;
  if (!reserved) return;
  const result = await rt.store.settle({
    requestId: ctx.accountingId,
    teamId: ctx.principal!.team.id,
    costMicros: ctx.costMicros,
    tokens: usage.promptTokens + usage.completionTokens,
  });
  for (const crossed of result.crossedSoft) notifySoftThreshold(rt, ctx, crossed);
}

function notifySoftThreshold(rt: Runtime, ctx: RequestContext, crossed: { scope: Scope; period: string; kind: string }) {
  const { team, key } = ctx.principal!;
  const budgets = crossed.scope.startsWith('team:') ? team.budgets : key.budgets;
  const budget = budgets.find((b) => b.period === crossed.period);
  rt.logger.warn({ ...crossed, team: team.id }, 'budget soft threshold crossed');
  if (budget?.webhookUrl) {
    fetch(budget.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'budget.soft_threshold', ...crossed, team: team.id, threshold: budget.softThreshold, at: new Date().toISOString() }),
      signal: AbortSignal.timeout(5000),
    }).catch((err) => rt.logger.warn({ err: (err as Error).message, scope: crossed.scope }, 'budget webhook failed'));
  }
}

let lastFailOpenWarning = 0;
function failOpenOr(rt: Runtime, ctx: RequestContext, err: StateUnavailableError): Admission {
  if (rt.config.state.failMode === 'closed') throw unavailable();
  if (Date.now() - lastFailOpenWarning > 10_000) {
    lastFailOpenWarning = Date.now();
    rt.logger.warn({ err: err.message }, 'state store unavailable: serving requests unmetered (failMode: open)');
  }
  ctx.notes.unmetered = true;
  const price = priceOf(ctx.model!.targets[0]);
  return { heldOutputTokens: Infinity, extendOrThrow: async () => undefined, settle: once((u) => settleUsage(rt, ctx, u, price, false)) };
}

const unavailable = () =>
  new GatewayError('state_unavailable', 'The gateway cannot check budgets and rate limits right now. Please retry.');

/** Runs `fn` until it succeeds once; later calls return that success (a failed attempt may be retried). */
function once(fn: (usage: Usage) => Promise<void>): (usage: Usage) => Promise<void> {
  let done: Promise<void> | undefined;
  return (usage) =>
    (done ??= fn(usage).catch((err) => {
      done = undefined;
      throw err;
    }));
}
