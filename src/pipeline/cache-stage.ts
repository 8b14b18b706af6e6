/**
 * Stage 5 in the pipeline: looks the request up in the response cache, serves a hit (JSON or replayed SSE,
 * whichever the client asked for), and after a miss stores the answer. Hits are not charged: the ledger gets
 * the cost they saved instead.
 */
import { COST_HEADER, requestCostMicros } from './request-cost.js';
import { createHash } from 'node:crypto';
import type { EffectiveCache } from '../config/policy.js';
import type { CacheResult } from '../cache/response-cache.js';
import { replayChunks } from '../cache/replay.js';
import { emptyUsage, type ChatRequest, type ChatResponse } from '../core/types.js';
import type { AnswerEncoder } from '../ingress/types.js';
import { usageFromOpenAI } from '../tokens/usage-extract.js';
import { costMicros } from '../usage/pricing.js';
import type { Runtime } from '../runtime.js';
import { priceOf } from './admission.js';
import type { RequestContext } from './context.js';
import { createChunkTransformer, needsOutputTransform, transformResponse, type OutputPlan } from './output-transform.js';
import type { ResponseSink } from './response-sink.js';

export interface CacheState {
  policy: EffectiveCache;
  result: CacheResult;
}

export async function lookupCache(
  rt: Runtime,
  ctx: RequestContext,
  req: ChatRequest,
  policy: EffectiveCache,
  headers: Record<string, string | string[] | undefined>,
  sink: ResponseSink,
): Promise<CacheState | undefined> {
  if (policy.mode === 'off' || !rt.cache) {
    // design.md promises the header on every answer: with the cache off, nothing was looked up.
    sink.setHeader('x-gateway-cache', 'bypass');
    return undefined;
  }
  const t0 = performance.now();
  const teamScope = policy.scope || `team:${ctx.principal!.team.id}`;
  // `partitionBy: user`: one end user's answers never reach another user of the team (requests without `user`
  // share the team's partition). Hashed: the key never carries the application's user id.
  const user = policy.partitionBy === 'user' && typeof req.body.user === 'string' && req.body.user ? req.body.user : undefined;
  const scope = user ? `${teamScope}|user:${createHash('sha256').update(user).digest('base64url')}` : teamScope;
  let result: CacheResult;
  try {
    // Keyed by the route variant, not the public name: variants chosen by headers, metadata, team or prompt
    // size send the same model name to different models, whose answers must not stand in for each other.
    result = await rt.cache.lookup(req, policy, scope, ctx.model!.decision.route, headers, ctx.principal!.team.id);
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, reqId: ctx.id }, 'cache lookup failed; serving from the provider');
    result = { status: 'bypass', reason: 'error', write: false };
  }
  const lookupMs = performance.now() - t0;
  ctx.cache = result.status;
  sink.setHeader('x-gateway-cache', result.status);
  if (result.status === 'hit') {
    if (result.layer === 'semantic') sink.setHeader('x-gateway-cache-similarity', result.similarity!.toFixed(4));
    const usage = result.response.usage ? usageFromOpenAI(result.response.usage) : undefined;
    const price = priceOf(ctx.model!.targets[0]);
    ctx.savedMicros = usage && price ? costMicros(usage, price) : 0;
  }
  ctx.notes.cache = {
    status: result.status,
    ...(result.status === 'hit' ? { layer: result.layer, similarity: result.similarity } : {}),
    ...(result.status === 'bypass' ? { reason: result.reason } : {}),
    ...(result.status === 'miss' && result.shadow ? { shadow: result.shadow } : {}),
    ms: Math.round(lookupMs * 100) / 100,
  };
  rt.metrics?.recordCache(result.status, ctx.savedMicros, lookupMs);
  return { policy, result };
}

/** Answers from a cache hit (in the client's wire format, through its encoder): fresh id and timestamp, this request's pseudonyms restored. */
export async function serveCached(ctx: RequestContext, req: ChatRequest, cached: ChatResponse, plan: OutputPlan, sink: ResponseSink, out: AnswerEncoder): Promise<void> {
  const id = `chatcmpl-${ctx.id}`;
  const created = Math.floor(Date.now() / 1000);
  ctx.status = 200;
  ctx.ttfbMs = performance.now() - ctx.startedAt;
  sink.setHeader('server-timing', `gateway;dur=${ctx.ttfbMs.toFixed(2)}, upstream;dur=0`);
  sink.setHeader(COST_HEADER, '0.000000'); // a hit calls no provider (what it saved: x-gateway-cache and the log)
  if (!req.stream) {
    if (needsOutputTransform(plan)) transformResponse(plan, cached);
    out.json({ ...cached, id, created });
    return;
  }
  const transformer = needsOutputTransform(plan) ? createChunkTransformer(plan) : undefined;
  out.start();
  for (const chunk of replayChunks(cached, id, created)) {
    transformer?.apply(chunk);
    await out.chunk(chunk);
  }
  await out.end(cached.usage ? usageFromOpenAI(cached.usage)! : emptyUsage());
}

/** Stores a fresh answer after a miss; in the background, failures only logged. */
export function writeCache(rt: Runtime, ctx: RequestContext, state: CacheState | undefined, response: ChatResponse): void {
  if (!state || state.result.status === 'hit' || !rt.cache) return;
  // What serving a would-be semantic hit would have saved: this fresh answer's cost, priced as it is billed (the
  // target that served, the gateway's count where the provider reported no usage), kept with the team's
  // calibration counts for the dashboard and counted in the metrics.
  let saved = 0;
  if (state.result.status === 'miss' && state.result.compare) {
    try {
      saved = requestCostMicros(ctx, ctx.usage ?? usageFromOpenAI(response.usage));
    } catch {
      saved = 0; // an odd usage block costs the comparison its saving figure, never the request
    }
  }
  rt.cache
    .write(state.result, response, state.policy, saved)
    .then((compared) => {
      if (!compared) return;
      rt.metrics?.recordSemanticComparison(compared.team, compared.band, compared.agreed, saved);
    })
    .catch((err) => rt.logger.warn({ err: (err as Error).message, reqId: ctx.id }, 'cache write failed'));
}
