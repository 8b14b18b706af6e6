/**
 * The LLM judge's call to its model (guards/llm-judge), made on behalf of one request: through the same catalog,
 * routing, executor and provider adapters as the request itself, and paid like one — a budget hold before the
 * call (budgets only: the call is the gateway's, not one of the client's requests, so rate limits do not count
 * it), settled with the provider's usage after, and a usage-ledger row (API `guard`) under the judge's model.
 * A budget that cannot hold the call refuses the request (429 budget_exceeded), as the request's own would.
 */
import { GuardUnavailableError, withDeadline } from '../../guards/async-guard.js';
import { isGatewayError } from '../core/errors.js';
import { normaliseChatRequest } from '../core/normalise.js';
import type { Usage } from '../core/types.js';
import { ProviderError } from '../../providers/types.js';
import { toGatewayError } from '../routing/provider-errors.js';
import type { Runtime } from '../runtime.js';
import { createCompletionCounter } from '../tokens/completion-counter.js';
import { resolveUsage } from '../tokens/usage-extract.js';
import { admit, estimatePromptTokens } from './admission.js';
import { createRequestContext, type RequestContext } from './context.js';
import { ledgerRecord } from './finish.js';
import { requestCostMicros } from './request-cost.js';
import type { ResponseSink } from './response-sink.js';

export interface JudgeCallResult {
  /** The judge's answer text. */
  text: string;
  usage: Usage;
  costMicros: number;
}

export async function callJudgeModel(
  rt: Runtime,
  ctx: RequestContext,
  sink: ResponseSink,
  opts: { model: string; messages: { role: string; content: string }[]; maxTokens: number; timeoutMs: number },
): Promise<JudgeCallResult> {
  const call = createRequestContext(ctx.id);
  call.principal = ctx.principal;
  call.api = ctx.api;
  call.endUser = ctx.endUser;
  call.tag = ctx.tag;
  call.upstreamHeaders = ctx.upstreamHeaders;
  const req = normaliseChatRequest({ model: opts.model, messages: opts.messages, max_tokens: opts.maxTokens, temperature: 0 });
  try {
    call.model = rt.catalog.resolve(opts.model, ctx.principal!.team, ctx.principal!.key, { request: req });
  } catch (err) {
    // A judge the team may not call or that does not exist is a misconfiguration, not the client's fault.
    throw new GuardUnavailableError('judge_model_unavailable', `judge model ${opts.model}: ${(err as Error).message}`);
  }
  // The budget headers the client sees are its own request's: the judge's hold is not reported there.
  const quiet: ResponseSink = Object.create(sink, { setHeader: { value: () => undefined } });
  let admission: Awaited<ReturnType<typeof admit>>;
  try {
    admission = await admit(rt, call, req, quiet, { rateLimits: false });
  } catch (err) {
    // The team's budget (or the state store) refuses as it would the request itself; anything else (a judge
    // model without a price under a USD budget) is the judge's configuration.
    if (isGatewayError(err) && (err.code === 'budget_exceeded' || err.code === 'state_unavailable')) throw err;
    throw new GuardUnavailableError(isGatewayError(err) ? err.code : 'judge_failed', `judge model ${opts.model}: ${(err as Error).message}`);
  }
  // Settlement follows the call itself, not the deadline, and runs in the background: the verdict does not wait
  // for the store (the request waits at most the judge's timeout), and a call cut off by the timeout is charged
  // once its attempt has ended (the provider had the prompt and bills it, as for an abandoned request). Tracked in
  // `inflight`, so a shutdown waits for it as for a request's own settlement.
  let work!: Promise<Awaited<ReturnType<Runtime['executor']['complete']>>>;
  const answered = withDeadline(opts.timeoutMs, (signal) => (work = rt.executor.complete(req, call.model!, signal, call.attempts, call)), `judge model ${opts.model}`);
  const used = work.then(
    (result) => {
      call.target = result.target;
      call.status = 200;
      if (result.response.usage) return result.usage;
      const counter = createCompletionCounter(result.target.upstreamModel);
      counter.add(result.response.choices[0]?.message.content ?? '', '0:c');
      return resolveUsage({ estimatedPromptTokens: estimatePromptTokens(call, req), countedCompletionTokens: counter.tokens() });
    },
    (err: unknown) => {
      call.status = toGatewayError(err).status;
      const left = [...call.attempts].reverse().find((a) => a.errorClass === 'aborted');
      if (!left) return undefined;
      call.target ??= call.model!.targets.find((t) => t.provider === left.provider && t.upstreamModel === left.model);
      return resolveUsage({ reportedPrompt: err instanceof ProviderError ? err.usageSoFar : undefined, estimatedPromptTokens: estimatePromptTokens(call, req), countedCompletionTokens: 0 });
    },
  );
  const settled: Promise<void> = used
    .then((usage) => settle(rt, call, admission, usage))
    .catch((err: unknown) => rt.logger.warn({ err: (err as Error).message, requestId: call.id }, 'judge call could not be settled'))
    .finally(() => rt.inflight.delete(settled));
  rt.inflight.add(settled);
  let result;
  try {
    result = await answered;
  } catch (err) {
    if (err instanceof GuardUnavailableError && err.reason !== 'failed') throw err;
    const cause = await work.catch((e: unknown) => e);
    throw new GuardUnavailableError(toGatewayError(cause).code, `judge model ${opts.model} failed: ${(cause as Error).message}`);
  }
  // The call answered, so its usage is known (no store call): priced as settlement prices it.
  const usage = (await used)!;
  return { text: result.response.choices[0]?.message.content ?? '', usage, costMicros: requestCostMicros(call, usage) };
}

async function settle(rt: Runtime, call: RequestContext, admission: Awaited<ReturnType<typeof admit>>, usage: Usage | undefined) {
  const u = usage ?? resolveUsage({ estimatedPromptTokens: 0, countedCompletionTokens: 0 });
  await rt.storeRetry.run('judge budget settlement', call.id, () => admission.settle(u));
  await rt.usage.add({ ...ledgerRecord(call, u), api: 'guard' }, call.id);
}
