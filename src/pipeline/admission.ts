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
import { billingRules } from '../tokens/billing-rules.js';
import { inputProfile, inputTokenBound, unboundedReason } from '../tokens/input-bound.js';
import { countPromptTokens } from '../tokens/prompt-tokens.js';
import { costMicros, microsToUsd, parsePrice, worstCaseCostMicros, type ParsedPrice } from '../usage/pricing.js';
import type { RequestContext } from './context.js';
import { keepLeaseAlive } from './lease-renewal.js';
import type { ResponseSink } from './response-sink.js';

/** The admitted request's hold on its budgets. One per request; `settle` may be called any number of times. */
export interface Admission {
  /** Output tokens the hold currently covers. */
  readonly heldOutputTokens: number;
  /** Grows the hold by at least `tokens` output tokens; throws 429 `budget_exceeded` when a budget refuses. */
  extendOrThrow(tokens: number): Promise<void>;
  /**
   * Records the actual usage and releases the rest of the hold; only the first call counts. Resolves to the
   * store's answer when there was a hold to settle (`settled: false`: its reservation was gone).
   */
  settle(usage: Usage): Promise<{ settled: boolean } | void>;
}

/** Output tokens added per extension while a stream outgrows its hold. */
const EXTENSION_TOKENS = 1024;

/** What the worst case of a request holds, and why (for an honest refusal). */
interface WorstCase {
  /** Output tokens held (all choices), the largest over the targets. */
  outputTokens: number;
  /** Input tokens held, the largest bound over the targets. */
  inputTokens: number;
  cost: number;
  /** The highest output price, for the cost of stream extensions. */
  price?: ParsedPrice;
  unpriced: boolean;
  /** Where the output cap came from: the client's parameter, or the gateway's. */
  outputFrom: 'client' | 'model' | 'default';
  /** Set when the input bound is the context window (a file, audio, a provider-run tool). */
  unboundedInput?: string;
}

/**
 * The worst case over every target the route may fail over to: each target's own bound of the input its provider
 * can bill (input-bound.ts), its output cap and its price; the dearest total wins. Which target is dearest depends
 * on the request (a short prompt with a long answer is dearest where output is dear), so it is computed per
 * request, not by comparing prices.
 */
function worstCase(rt: Runtime, targets: readonly ResolvedTarget[], req: ChatRequest, prompt: () => number, defaultMaxOutput: number): WorstCase {
  const profile = inputProfile(req, prompt());
  const w: WorstCase = { outputTokens: 0, inputTokens: 0, cost: 0, unpriced: false, outputFrom: req.maxOutputTokens !== undefined ? 'client' : 'default' };
  for (const t of targets) {
    const kind = rt.adapters.get(t.provider)?.config.kind ?? 'openai';
    const modelMax = t.info?.maxOutputTokens;
    // Without the client's own cap: a stream is metered as it goes, so it starts with the default hold and extends
    // it — unless the model bills output the stream never shows (reasoning), which no meter can see; a
    // non-streamed answer arrives whole. Those hold the model's maximum output. Only a model entry without
    // `maxOutputTokens` leaves them the default, which a long answer can exceed (charged as debt, docs/budgets.md).
    const whole = !req.stream || billingRules(kind, t.upstreamModel, req.passthrough?.body ?? req.body).hiddenOutput;
    const cap = req.maxOutputTokens ?? (whole && modelMax !== undefined ? modelMax : Math.min(modelMax ?? Infinity, defaultMaxOutput));
    const output = cap * req.n;
    if (output > w.outputTokens) {
      w.outputTokens = output;
      if (req.maxOutputTokens === undefined) w.outputFrom = whole && modelMax !== undefined ? 'model' : 'default';
    }
    const input = inputTokenBound(profile, { kind, upstreamModel: t.upstreamModel, contextWindow: t.info?.contextWindow }, req.passthrough?.body ?? req.body);
    if (input > w.inputTokens) w.inputTokens = input;
    const p = priceOf(t);
    if (!p) {
      w.unpriced = true;
      continue;
    }
    const c = worstCaseCostMicros(input, output, p);
    if (c > w.cost) w.cost = c;
    if (!w.price || p.outputMicrosPerMTok > w.price.outputMicrosPerMTok) w.price = p;
  }
  const reason = unboundedReason(profile);
  if (reason) w.unboundedInput = reason;
  return w;
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

/**
 * `rateLimits: false` reserves budgets only: a call the gateway makes on a request's behalf (an LLM judge's) is
 * paid by the team but is not one of its client's requests.
 */
export async function admit(rt: Runtime, ctx: RequestContext, req: ChatRequest, sink: ResponseSink, opts: { rateLimits?: boolean } = {}): Promise<Admission> {
  const { key, team } = ctx.principal!;
  const targets = ctx.model!.targets;
  // Counted only when a limit needs it: tiktoken is the costliest step of a request without budgets.
  const prompt = () => estimatePromptTokens(ctx, req);

  try {
    if (opts.rateLimits !== false) await checkRateLimits(rt, ctx, req, prompt, sink);
  } catch (err) {
    if (err instanceof StateUnavailableError) return failOpenOr(rt, ctx, err);
    throw err;
  }

  const scopes: ScopeBudgets[] = [];
  if (team.budgets.length) scopes.push({ scope: `team:${team.id}`, budgets: team.budgets });
  if (key.budgets.length) scopes.push({ scope: `key:${key.id}`, budgets: key.budgets });
  if (scopes.length === 0) {
    return { heldOutputTokens: Infinity, extendOrThrow: async () => undefined, settle: once((u) => settleUsage(rt, ctx, u, priceOf(targets[0]!), undefined)) };
  }

  const worst = worstCase(rt, targets, req, prompt, rt.config.server.defaultMaxOutputTokens);
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
  // What the hold covers in total (grows with extensions): a settlement above it is an overrun (charged as debt).
  const hold = { micros: worst.cost, tokens: worst.inputTokens + held };
  try {
    const result = await rt.store.reserve({
      requestId: ctx.accountingId,
      teamId: team.id,
      scopes,
      costMicros: worst.cost,
      tokens: worst.inputTokens + held,
      leaseMs,
    });
    if (!result.ok) throw await refusal(rt, scopes, result, worst, req);
    setBudgetHeaders(sink, result.remaining);
    for (const r of result.remaining) rt.metrics?.setBudgetRemaining(r.scope, r.period, r.kind, r.remaining, r.limit);
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
  // A request can outlive its lease: a live one renews it until it settles (lease-renewal.ts).
  const lease = keepLeaseAlive(leaseMs, () => rt.store.extend({ requestId: ctx.accountingId, teamId: team.id, costMicros: 0, tokens: 0, leaseMs }));
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
      hold.micros += price ? worstCaseCostMicros(0, more, price) : 0;
      hold.tokens += more;
    },
    settle: once((usage) => {
      lease.stop();
      return settleUsage(rt, ctx, usage, price, hold);
    }),
  };
}

async function checkRateLimits(rt: Runtime, ctx: RequestContext, req: ChatRequest, prompt: () => number, sink: ResponseSink) {
  const { key, team } = ctx.principal!;
  // OpenAI counts a request against TPM by its prompt plus the max output it asks for.
  const tokens = () => prompt() + (req.maxOutputTokens ?? 0) * req.n;
  // Built without intermediate arrays or closures: this runs on every request (issue 22.3).
  const active: [Scope, RateLimits][] = [];
  if (hasLimits(key.rateLimits)) active.push([`key:${key.id}`, key.rateLimits]);
  if (hasLimits(team.rateLimits)) active.push([`team:${team.id}`, team.rateLimits]);
  if (active.length === 0) return;
  for (const [scope, limits] of active) {
    if (limits.tpm !== undefined && tokens() > limits.tpm) {
      // It can never fit, however long the client waits: no retry-after, and the SDKs are told not to retry.
      throw new GatewayError(
        'rate_limit_exceeded',
        `Request too large for ${scope.startsWith('key:') ? 'this key' : 'your team'}: ${tokens()} tokens (prompt + max output) against a limit of ${limits.tpm} tokens per minute. Shorten the prompt or lower max_tokens.`,
        { headers: { 'x-should-retry': 'false' } },
      );
    }
  }
  // Both windows are checked at once: one round trip to a networked store instead of one per scope (issue 22.4).
  // When one refuses, the entries the others recorded are released below, as a sequential check would have
  // never made them.
  const settled = await Promise.allSettled(
    active.map(([scope, limits]) => rt.store.rateLimit({ scope, rpm: limits.rpm, tpm: limits.tpm, tokens: limits.tpm === undefined ? 0 : tokens() })),
  );
  for (const s of settled) {
    if (s.status === 'rejected') {
      releaseRecorded(rt, active, settled);
      throw s.reason;
    }
  }
  let shown = false;
  for (let i = 0; i < active.length; i++) {
    const [scope, limits] = active[i]!;
    const r = (settled[i] as PromiseFulfilledResult<RateLimitResult>).value;
    // The narrowest scope's figures go in the headers (the key's when it has limits), as OpenAI shows one set.
    if (!shown || !r.allowed) setRateLimitHeaders(sink, r);
    shown = true;
    if (!r.allowed) {
      releaseRecorded(rt, active, settled);
      const retryAfter = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
      const who = scope.startsWith('key:') ? 'this key' : 'your team';
      const detail =
        r.requests && r.requests.remaining <= 0
          ? `${r.requests.limit} of ${r.requests.limit} requests per minute used`
          : `this request counts ${tokens()} tokens (prompt + max output) and ${Math.max(0, r.tokens?.remaining ?? 0)} of ${r.tokens?.limit ?? limits.tpm} tokens per minute are left`;
      throw new GatewayError('rate_limit_exceeded', `Rate limit reached for ${who}: ${detail}. Please try again in ${retryAfter}s.`, {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }
}

type RateLimits = NonNullable<NonNullable<RequestContext['principal']>['key']['rateLimits']>;

/**
 * A refused request is not served, so it must not use up the windows that counted it already. Best effort: a
 * failed release only ages out with its window.
 */
function releaseRecorded(rt: Runtime, active: [Scope, RateLimits][], settled: PromiseSettledResult<RateLimitResult>[]): void {
  for (let i = 0; i < settled.length; i++) {
    const s = settled[i]!;
    if (s.status === 'fulfilled' && s.value.entry !== undefined) void rt.store.rateLimitRelease(active[i]![0], s.value.entry).catch(() => undefined);
  }
}

const hasLimits = (l: RateLimits | undefined): l is RateLimits => l !== undefined && (l.rpm !== undefined || l.tpm !== undefined);

function setRateLimitHeaders(sink: ResponseSink, r: RateLimitResult) {
  // Constant names, no array per call: every limited request sets these.
  if (r.requests) {
    sink.setHeader('x-ratelimit-limit-requests', r.requests.limit);
    sink.setHeader('x-ratelimit-remaining-requests', Math.max(0, r.requests.remaining));
    sink.setHeader('x-ratelimit-reset-requests', formatDuration(r.requests.resetMs));
  }
  if (r.tokens) {
    sink.setHeader('x-ratelimit-limit-tokens', r.tokens.limit);
    sink.setHeader('x-ratelimit-remaining-tokens', Math.max(0, r.tokens.remaining));
    sink.setHeader('x-ratelimit-reset-tokens', formatDuration(r.tokens.resetMs));
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
  const [kindOfScope, id] = splitScope(d.scope);
  const limit = d.kind === 'usd' ? `$${microsToUsd(d.limit)}` : `${d.limit} tokens`;
  const when = d.resetsAt ? `it resets at ${new Date(d.resetsAt).toISOString()}` : 'it does not reset (lifetime budget)';
  return new GatewayError(
    'budget_exceeded',
    `Budget exceeded: the ${d.period} ${d.kind === 'usd' ? 'USD' : 'token'} budget of ${kindOfScope} '${id}' (${limit}) is used up; ${when}.`,
    { headers: { 'x-should-retry': 'false' } },
  );
}

/** `key:jwt:corp:alice` → ['key', 'jwt:corp:alice']: ids may hold colons. */
function splitScope(scope: string): [string, string] {
  const i = scope.indexOf(':');
  return [scope.slice(0, i), scope.slice(i + 1)];
}

/** USD for a message: at least 4 decimals, no trailing zeros beyond them ("$0.0098", "$12.50"). */
function usd(micros: number): string {
  return `$${microsToUsd(Math.round(micros)).replace(/(\.\d{4}\d*?)0+$/, '$1')}`;
}

/**
 * The refusal of a reservation, saying what happened with the figures and the remedy: a budget that is used up,
 * or one with money left that this request's worst case does not fit (the code stays `budget_exceeded`, and
 * `x-should-retry: false`: the same request would be refused again).
 */
async function refusal(rt: Runtime, scopes: ScopeBudgets[], d: BudgetDenied, worst: WorstCase, req: ChatRequest): Promise<GatewayError> {
  const status = await rt.store
    .getBudgetStatus(scopes.filter((s) => s.scope === d.scope))
    .then((all) => all.find((b) => b.period === d.period))
    .catch(() => undefined);
  if (!status) return budgetExceeded(d);
  const spent = d.kind === 'usd' ? status.spentMicros : status.spentTokens;
  const reserved = d.kind === 'usd' ? status.reservedMicros : status.reservedTokens;
  const left = d.limit - spent - reserved;
  const fmt = (n: number) => (d.kind === 'usd' ? usd(n) : `${n} tokens`);
  const [kindOfScope, id] = splitScope(d.scope);
  const budget = `the ${d.period} ${d.kind === 'usd' ? 'USD' : 'token'} budget of ${kindOfScope} '${id}' (${fmt(d.limit)})`;
  const when = d.resetsAt ? `it resets at ${new Date(d.resetsAt).toISOString()}` : 'it does not reset (lifetime budget)';
  const headers = { 'x-should-retry': 'false' };
  if (spent >= d.limit) {
    return new GatewayError('budget_exceeded', `Budget exceeded: ${budget} is used up (${fmt(spent)} spent); ${when}.`, { headers });
  }
  const output = worst.outputFrom === 'client' ? `max_tokens ${req.maxOutputTokens}` : `${worst.outputTokens} output tokens, ${worst.outputFrom === 'model' ? "the model's maximum" : 'the default hold'}, as the request sets no max_tokens`;
  const input = worst.unboundedInput ? `up to ${worst.inputTokens} input tokens for ${worst.unboundedInput}` : `up to ${worst.inputTokens} input tokens`;
  const may = d.kind === 'usd' ? `may cost up to ${usd(worst.cost)}` : `may use up to ${worst.inputTokens + worst.outputTokens} tokens`;
  const held = reserved > 0 ? ` (${fmt(reserved)} more is held by requests in flight)` : '';
  const remedy = worst.unboundedInput
    ? 'send the content as text, or ask the platform team for a larger budget'
    : worst.outputFrom === 'client'
      ? 'lower max_tokens'
      : 'set max_tokens (or max_completion_tokens) to what you need';
  return new GatewayError(
    'budget_exceeded',
    `Budget exceeded: this request ${may} (${input}, ${output}); ${fmt(Math.max(0, left))} is left of ${budget}${held}; ${remedy}. ${when[0]!.toUpperCase()}${when.slice(1)}.`,
    { headers },
  );
}

/**
 * Records the actual cost. `hold` is what the reservation covered (undefined when there is none to settle: only the
 * cost is computed). The provider's figures win even above the hold: the excess is charged, so the scope's spend
 * passes its limit and its next requests are refused until the period resets — an overrun is logged and counted.
 */
async function settleUsage(
  rt: Runtime,
  ctx: RequestContext,
  usage: Usage,
  reservedPrice: ParsedPrice | undefined,
  hold: { micros: number; tokens: number } | undefined,
): Promise<{ settled: boolean } | void> {
  // Billed at the price of the target that actually served (failover may have moved the request).
  const price = ctx.target ? priceOf(ctx.target) : reservedPrice;
  ctx.costMicros = price ? costMicros(usage, price) : 0;
  if (!hold) return;
  const tokens = usage.promptTokens + usage.completionTokens;
  const result = await rt.store.settle({
    requestId: ctx.accountingId,
    teamId: ctx.principal!.team.id,
    costMicros: ctx.costMicros,
    tokens,
  });
  if (ctx.costMicros > hold.micros || tokens > hold.tokens) {
    const excessMicros = Math.max(0, ctx.costMicros - hold.micros);
    ctx.notes.budgetOverrun = true;
    rt.metrics?.recordBudgetOverrun(ctx.principal!.team.id, excessMicros);
    rt.logger.warn(
      {
        requestId: ctx.id,
        team: ctx.principal!.team.id,
        key: ctx.principal!.key.id,
        model: ctx.target?.upstreamModel,
        heldUsd: microsToUsd(hold.micros),
        billedUsd: microsToUsd(ctx.costMicros),
        excessUsd: microsToUsd(excessMicros),
        heldTokens: hold.tokens,
        billedTokens: tokens,
        settled: result.settled,
      },
      'budget overrun: the provider billed more than the hold; the excess is charged and the scope is refused until it is covered',
    );
  }
  for (const crossed of result.crossedSoft) notifySoftThreshold(rt, ctx, crossed);
  return result;
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
  return { heldOutputTokens: Infinity, extendOrThrow: async () => undefined, settle: once((u) => settleUsage(rt, ctx, u, price, undefined)) };
}

const unavailable = () =>
  new GatewayError('state_unavailable', 'The gateway cannot check budgets and rate limits right now. Please retry.');

/** Runs `fn` until it succeeds once; later calls return that success (a failed attempt may be retried). */
function once<R>(fn: (usage: Usage) => Promise<R>): (usage: Usage) => Promise<R> {
  let done: Promise<R> | undefined;
  return (usage) =>
    (done ??= fn(usage).catch((err) => {
      done = undefined;
      throw err;
    }));
}
