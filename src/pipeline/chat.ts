/**
 * The request pipeline (design.md stages 2–9), independent of HTTP and of wire formats: the route authenticates,
 * then hands the body, the ingress that speaks its format and a ResponseSink here. The ingress decodes the body
 * into the neutral request and encodes every answer; stages see neutral shapes only. Every path ends in
 * `finish()`, which settles usage exactly once.
 */
import { isGatewayError } from '../core/errors.js';
import type { AnswerEncoder, Ingress, TextTransform } from '../ingress/types.js';
import type { ChatRequest, ChatResponse } from '../core/types.js';
import { toGatewayError } from '../routing/provider-errors.js';
import type { OpenedStream } from '../routing/executor.js';
import { ProviderError } from '../../providers/types.js';
import { createCompletionCounter, type CompletionCounter } from '../tokens/completion-counter.js';
import { resolveUsage } from '../tokens/usage-extract.js';
import type { Runtime } from '../runtime.js';
import { admit, estimatePromptTokens, type Admission } from './admission.js';
import type { RequestContext } from './context.js';
import { finishChat } from './finish.js';
import { recordTemplateRequest } from '../templates/template-usage.js';
import { applyInputGuards } from './input-guards.js';
import { lookupCache, serveCached, writeCache, type CacheState } from './cache-stage.js';
import { createStreamAssembler } from '../cache/stream-assembler.js';
import { createChunkTransformer, needsOutputTransform, textTransform, transformResponse, type OutputPlan } from './output-transform.js';
import type { ResponseSink } from './response-sink.js';
import { requestCostMicros, setCostHeader } from './request-cost.js';
import { microsToUsd } from '../usage/pricing.js';
import { beginRequestTrace, traced } from '../telemetry/pipeline-trace.js';

/** Runs one request to the end: answer written, usage settled, ledger and log updated. Never throws. */
export async function runPipeline(
  rt: Runtime,
  ctx: RequestContext,
  ingress: Ingress,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  sink: ResponseSink,
): Promise<void> {
  let admission: Admission | undefined;
  ctx.api = ingress.api;
  beginRequestTrace(rt, ctx, headers);
  const out = ingress.encoder(sink);
  try {
    // A managed prompt template (`prompt`) is rendered first: from here on it is ordinary messages (docs/templates.md).
    const expanded = ingress.expandPrompt ? await ingress.expandPrompt(body, { store: rt.store, teamId: ctx.principal!.team.id, notes: ctx.notes }) : body;
    const req = ingress.decode(expanded, headers);
    if (typeof req.body.user === 'string' && req.body.user) ctx.endUser = req.body.user.slice(0, 256);
    const tagKey = rt.config.state.usageTag;
    const tag = tagKey ? (req.body.metadata as Record<string, unknown> | null | undefined)?.[tagKey] : undefined;
    if (typeof tag === 'string' && tag) ctx.tag = tag.slice(0, 128);
    out.begin(req);
    ctx.stream = req.stream;
    ctx.trace?.request(req);
    // Prompt tokens are counted at most once per request, and only when a route or a limit needs them.
    ctx.model = traced(ctx, 'routing', () =>
      rt.catalog.resolve(req.model, ctx.principal!.team, ctx.principal!.key, {
        request: req,
        headers,
        metadata: req.body.metadata ?? undefined,
        promptTokens: () => estimatePromptTokens(ctx, req),
      }),
    );
    admission = await traced(ctx, 'admission', () => admit(rt, ctx, req, sink));
    const teamGuards = rt.guards.forTeam(ctx.principal!.team);
    const guarded = await traced(ctx, 'input_guards', () => applyInputGuards(rt, ctx, req, teamGuards, sink));
    const plan: OutputPlan = { pii: guarded.pii, redact: guarded.outputRedaction ? teamGuards.pii : undefined };
    const cacheable = typeof ingress.cacheable === 'function' ? ingress.cacheable(req) : ingress.cacheable !== false;
    const cache = cacheable ? await traced(ctx, 'cache_lookup', () => lookupCache(rt, ctx, guarded.req, teamGuards.policy.cache, headers, sink)) : bypassCache(sink);
    const answer: Answer = { rt, ctx, req: guarded.req, sink, out, admission, plan, cache };
    if (cache?.result.status === 'hit') await serveCached(ctx, guarded.req, cache.result.response, plan, sink, out);
    else if (req.stream) await streamChat(answer);
    else await completeChat(answer);
  } catch (err) {
    failBeforeAnswer(rt, ctx, err, sink, out);
  } finally {
    await finishChat(rt, ctx, admission);
    // Per-template metrics and usage (docs/templates.md), once the request's cost is settled.
    await recordTemplateRequest(rt, ctx);
    ctx.trace?.end(ctx);
  }
}

/** What answering one admitted, guarded request needs. */
interface Answer {
  rt: Runtime;
  ctx: RequestContext;
  req: ChatRequest;
  sink: ResponseSink;
  out: AnswerEncoder;
  admission: Admission;
  plan: OutputPlan;
  cache?: CacheState;
}

async function completeChat({ rt, ctx, req, sink, out, plan, cache }: Answer): Promise<void> {
  const started = performance.now();
  try {
    const result = await rt.executor.complete(req, ctx.model!, sink.signal, ctx.attempts, ctx);
    ctx.upstreamMs += performance.now() - started;
    ctx.target = result.target;
    // Some OpenAI-compatible servers report no usage: then we count (and mark the record estimated).
    ctx.usage = result.response.usage
      ? result.usage
      : resolveUsage({ estimatedPromptTokens: estimatePromptTokens(ctx, req), countedCompletionTokens: countCompletion(result.response) });
    setTargetHeaders(ctx, sink);
    // The cache keeps the provider's answer (with this request's placeholders), not the restored one.
    const raw = cache && needsOutputTransform(plan) ? structuredClone(result.response) : result.response;
    if (needsOutputTransform(plan)) transformResponse(plan, result.response);
    respondJson(ctx, sink, out, result.response, needsOutputTransform(plan) ? textTransform(plan) : undefined);
    writeCache(rt, ctx, cache, raw);
  } catch (err) {
    ctx.upstreamMs += performance.now() - started;
    billAbandoned(ctx, req, err);
    throw err;
  }
}

function respondJson(ctx: RequestContext, sink: ResponseSink, out: AnswerEncoder, response: ChatResponse, text?: TextTransform): void {
  ctx.status = 200;
  setCostHeader(ctx, sink, ctx.usage);
  setServerTiming(ctx, sink, performance.now());
  ctx.ttfbMs = performance.now() - ctx.startedAt;
  out.json(response, text);
}

async function streamChat(answer: Answer): Promise<void> {
  const { rt, ctx, req, sink, out } = answer;
  const started = performance.now();
  let opened: OpenedStream;
  try {
    opened = await rt.executor.openStream(req, ctx.model!, sink.signal, ctx.attempts, ctx);
  } catch (err) {
    billAbandoned(ctx, req, err);
    throw err;
  } finally {
    ctx.upstreamMs += performance.now() - started;
  }
  ctx.target = opened.target;
  setTargetHeaders(ctx, sink);
  setServerTiming(ctx, sink, performance.now());
  out.start(needsOutputTransform(answer.plan) ? textTransform(answer.plan) : undefined);
  ctx.status = 200;
  ctx.ttfbMs = performance.now() - ctx.startedAt;
  await relayStream(answer, opened);
}

/**
 * Writes upstream chunks to the client (through its ingress' encoder) as they arrive. Meters streamed output
 * against the budget hold (extending it, or ending the stream with `budget_exceeded` when a budget refuses) and
 * counts it so an aborted stream still has a usage figure. After the first byte, an upstream failure becomes a
 * final error frame, never a clean end.
 */
async function relayStream({ rt, ctx, req, sink, out, admission, plan, cache }: Answer, opened: OpenedStream) {
  const counter = createCompletionCounter(opened.target.upstreamModel);
  const transformer = needsOutputTransform(plan) ? createChunkTransformer(plan) : undefined;
  const assembler = cache ? createStreamAssembler() : undefined;
  let next = opened.first;
  let completed = false;
  // Output tokens of the chunks the client was sent: a stream cut short (budget refused the extension, client
  // left, upstream failed) is charged for these, never for a chunk counted but not delivered.
  let delivered = 0;
  try {
    while (!next.done) {
      const chunk = next.value;
      for (const choice of chunk.choices) {
        const d = choice.delta;
        if (d?.content) counter.add(d.content, `${choice.index}:c`);
        if (d?.refusal) counter.add(d.refusal, `${choice.index}:r`);
        if (d?.tool_calls) {
          for (const tc of d.tool_calls) {
            if (tc.id) counter.toolCall();
            counter.add((tc.function?.name ?? '') + (tc.function?.arguments ?? ''), `${choice.index}:t${tc.index}`);
          }
        }
        if (d?.function_call) counter.add((d.function_call.name ?? '') + (d.function_call.arguments ?? ''), `${choice.index}:f`);
      }
      const over = counter.tokens() - admission.heldOutputTokens;
      if (over > 0) await admission.extendOrThrow(over);
      assembler?.add(chunk);
      transformer?.apply(chunk);
      // A stream's headers left before its cost was known: the usage chunk carries it (docs/admin-api.md).
      // A copy: the cache assembler keeps the provider's usage object.
      if (chunk.usage) chunk.usage = { ...chunk.usage, gateway_cost_usd: microsToUsd(requestCostMicros(ctx, opened.stream.usage())) } as typeof chunk.usage;
      const writing = out.chunk(chunk);
      if (writing) await writing; // only under backpressure: no promise per chunk otherwise
      if (sink.closed) break;
      delivered = counter.tokens();
      next = await opened.iterator.next();
    }
    completed = next.done === true;
    if (sink.closed) markClientAbort(ctx);
    else {
      await out.end(streamUsage(ctx, req, opened, counter.tokens(), true));
      const whole = completed ? assembler?.result() : undefined;
      if (whole) writeCache(rt, ctx, cache, whole);
    }
  } catch (err) {
    if (sink.closed) markClientAbort(ctx);
    else {
      const gwErr = toGatewayError(err);
      ctx.errorCode = gwErr.code;
      ctx.status = gwErr.status;
      out.fail(gwErr);
    }
  } finally {
    if (!completed) await opened.iterator.return?.().catch(() => undefined);
    ctx.usage = streamUsage(ctx, req, opened, completed ? counter.tokens() : delivered, completed);
  }
}

/** A stream's usage: as reported when it finished; else the provider's prompt figures, if any, and what we counted. */
function streamUsage(ctx: RequestContext, req: ChatRequest, opened: OpenedStream, countedTokens: number, completed: boolean) {
  const reported = opened.stream.usage();
  return resolveUsage({
    reported: completed ? reported : undefined,
    reportedPrompt: completed ? undefined : reported,
    estimatedPromptTokens: completed && reported ? 0 : estimatePromptTokens(ctx, req),
    countedCompletionTokens: countedTokens,
  });
}

function countCompletion(response: ChatResponse): number {
  const counter = createCompletionCounter(response.model);
  for (const c of response.choices) {
    if (c.message.content) counter.add(c.message.content, `${c.index}:c`);
    for (const tc of c.message.tool_calls ?? []) {
      counter.toolCall();
      if (tc.type === 'function') counter.add(tc.function.name + tc.function.arguments, `${c.index}:${tc.id}`);
    }
  }
  return counter.tokens();
}

/**
 * Usage of a request the client left while a provider was working on it, before any answer reached the client
 * (a stream still in its content-free preamble, e.g. a reasoning model thinking, or a non-streamed call). The
 * provider has the prompt and bills it: as it reported it (Anthropic's `message_start`), else as we estimated
 * it. Output the client never saw is not counted, so this is a lower bound where a provider finishes the answer
 * anyway. Without it the request would settle at zero.
 */
function billAbandoned(ctx: RequestContext, req: ChatRequest, err: unknown) {
  const left = [...ctx.attempts].reverse().find((a) => a.errorClass === 'aborted');
  if (!left) return;
  // Priced (and logged) as the target that had the prompt; left unset, settling would price the route's dearest.
  ctx.target ??= ctx.model!.targets.find((t) => t.provider === left.provider && t.upstreamModel === left.model);
  const reported = err instanceof ProviderError ? err.usageSoFar : undefined;
  ctx.usage = resolveUsage({ reportedPrompt: reported, estimatedPromptTokens: estimatePromptTokens(ctx, req), countedCompletionTokens: 0 });
}

function markClientAbort(ctx: RequestContext) {
  ctx.status = 499;
  ctx.errorCode = 'client_closed_request';
}

function failBeforeAnswer(rt: Runtime, ctx: RequestContext, err: unknown, sink: ResponseSink, out: AnswerEncoder) {
  if (sink.closed) return markClientAbort(ctx);
  const gwErr = toGatewayError(err);
  if (!isGatewayError(err) && gwErr.code === 'internal_error') rt.logger.error({ err, requestId: ctx.id }, 'request pipeline failed');
  ctx.status = gwErr.status;
  ctx.errorCode = gwErr.code;
  setCostHeader(ctx, sink, ctx.usage);
  if (ctx.target) setTargetHeaders(ctx, sink);
  // An answer that failed upstream still says where its time went (e.g. a wait for a capped connection).
  if (ctx.attempts.length) setServerTiming(ctx, sink, performance.now());
  out.fail(gwErr);
}

/** An ingress whose answers the cache cannot hold (embeddings): nothing looked up, as the header says. */
function bypassCache(sink: ResponseSink): undefined {
  sink.setHeader('x-gateway-cache', 'bypass');
  return undefined;
}

function setTargetHeaders(ctx: RequestContext, sink: ResponseSink) {
  sink.setHeader('x-gateway-provider', ctx.target!.provider);
  sink.setHeader('x-gateway-model', ctx.target!.upstreamModel);
  sink.setHeader('x-gateway-attempts', ctx.attempts.length);
}

/**
 * `server-timing: gateway;dur=<ms>` — time spent in the gateway itself, excluding upstream waits — and, when an
 * attempt waited for a connection of a provider capped by `maxConnections`, `upstream-queue;dur=<ms>` (part of
 * `upstream`).
 */
function setServerTiming(ctx: RequestContext, sink: ResponseSink, now: number) {
  const overhead = Math.max(0, now - ctx.startedAt - ctx.upstreamMs);
  let queued = 0;
  for (const a of ctx.attempts) if (a.queueMs !== undefined) queued += a.queueMs;
  const queue = queued > 0 ? `, upstream-queue;dur=${queued.toFixed(2)}` : '';
  sink.setHeader('server-timing', `gateway;dur=${overhead.toFixed(2)}, upstream;dur=${ctx.upstreamMs.toFixed(2)}${queue}`);
}
