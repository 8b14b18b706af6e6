/**
 * The guards that wait on a model or a service (issue 20.3–4): the `classifier` (a local text-classification
 * model), the LLM `judge` (a catalog model asked for a verdict) and external guardrail services (HTTP hook,
 * OpenAI moderation; Presidio runs earlier, just before the PII stage, see `analyzeWithPresidio`). They are independent
 * of each other, so they run concurrently, each bounded by its own `timeoutMs`; the pipeline starts them after
 * the PII stage (they see the text as the provider will: a hosted judge or service gets no PII the PII guard
 * removed) and collects them after the topics guard. Decisions are applied in a fixed order — a refusal before an
 * unavailable guard, then config order — so a request's outcome does not depend on which answered first.
 */
import { GuardUnavailableError, withDeadline } from '../../guards/async-guard.js';
import { analyzeExternal, checkExternal, EXTERNAL_GUARD_NAMES, presidioCategory, type ExternalCheck } from '../../guards/external/index.js';
import { guardRole } from '../../guards/guard-text.js';
import { countsAsHit, judgeMessages, parseVerdict, verdictKey, type JudgeVerdict } from '../../guards/llm-judge/index.js';
import type { PiiFinding } from '../../guards/pii/index.js';
import { GatewayError, type ErrorCode } from '../core/errors.js';
import type { ChatRequest } from '../core/types.js';
import type { Runtime } from '../runtime.js';
import { microsToUsd } from '../usage/pricing.js';
import { createLogThrottle, type LogThrottle } from '../util/log-throttle.js';
import type { RequestContext } from './context.js';
import { audit } from './input-guards.js';
import { callJudgeModel } from './judge-call.js';
import { mapMessageText, messageText } from './message-text.js';
import type { ResponseSink } from './response-sink.js';
import type { TeamGuards } from './team-guards.js';

type ExternalService = TeamGuards['policy']['guards']['external']['services'][number];

/** One guard's finished decision, applied by `applyModelGuards`. */
export interface ModelGuardOutcome {
  guard: string;
  action: 'allow' | 'block' | 'flag' | 'error';
  /** ms from the start of the batch to this guard's answer. */
  ms: number;
  detail: Record<string, unknown>;
  /** What the request gets when this outcome decides it. */
  refusal?: GatewayError;
}

/** Whether the team has any guard this module runs after the PII stage. */
export function hasModelGuards(g: TeamGuards): boolean {
  const p = g.policy.guards;
  return Boolean(g.classifier || p.judge.enabled || p.external.services.some((s) => s.kind !== 'presidio'));
}

function turnsOf(req: ChatRequest, roles: readonly string[]): { role: string; text: string }[] {
  const out: { role: string; text: string }[] = [];
  for (const m of req.messages) {
    const role = guardRole(m.role);
    if (!roles.includes(role)) continue;
    const text = messageText(m);
    if (text.trim()) out.push({ role, text });
  }
  return out;
}

/**
 * Each text the PII guard applies its actions to separately (string content, or each text part), so Presidio's
 * spans index the very strings the PII stage transforms.
 */
function textUnits(req: ChatRequest, roles: readonly string[]): { role: string; text: string }[] {
  const out: { role: string; text: string }[] = [];
  for (const m of req.messages) {
    const role = guardRole(m.role);
    if (!roles.includes(role)) continue;
    mapMessageText(m, (text) => {
      if (text.trim()) out.push({ role, text });
      return text;
    });
  }
  return out;
}

const check = (ctx: RequestContext, req: ChatRequest, turns: ExternalCheck['turns']): ExternalCheck => ({
  requestId: ctx.id,
  team: ctx.principal!.team.id,
  key: ctx.principal!.key.id,
  model: req.model,
  turns,
});

/**
 * Starts every configured guard at once; resolves (never rejects) with one outcome per guard, in config order.
 * A budget refusal of the judge's own call is the exception: it rejects, with 429 budget_exceeded.
 */
export function startModelGuards(rt: Runtime, ctx: RequestContext, req: ChatRequest, guards: TeamGuards, sink: ResponseSink): Promise<ModelGuardOutcome[]> {
  const g = guards.policy.guards;
  const t0 = performance.now();
  const tasks: Promise<ModelGuardOutcome>[] = [];
  const settle = (guard: string, onError: 'block' | 'allow', work: () => Promise<Omit<ModelGuardOutcome, 'guard' | 'ms'>>, about: Record<string, unknown> = {}) =>
    work().then(
      (o) => ({ guard, ms: performance.now() - t0, ...o }),
      (err: unknown) => {
        if (err instanceof GatewayError) throw err; // the judge's budget refusal
        return failedOutcome(rt, ctx, guard, onError, err, performance.now() - t0, about);
      },
    );

  if (guards.classifier) {
    const c = g.classifier;
    const classifier = guards.classifier;
    tasks.push(
      settle('classifier', c.onError, async () => {
        const texts = turnsOf(req, c.roles).map((t) => t.text);
        const v = await withDeadline(c.timeoutMs, (signal) => classifier.classify(texts, c.labels, signal), 'classifier model');
        const hit = v.score >= c.threshold;
        return decided(hit, c.action, 'classifier_denied', 'The request was rejected by the content classifier.', { score: round(v.score), label: hit ? v.label : undefined });
      }),
    );
  }

  if (g.judge.enabled) {
    const j = g.judge;
    tasks.push(
      settle('judge', j.onError, async () => {
        if (!j.model) throw new GuardUnavailableError('not_configured', 'guards.judge.model is not set');
        if (j.format === 'json' && !j.policy.trim()) throw new GuardUnavailableError('not_configured', 'guards.judge.policy is empty: a JSON judge has no policy to apply');
        const turns = turnsOf(req, j.roles);
        if (!turns.length) return { action: 'allow', detail: {} };
        const key = verdictKey({ team: ctx.principal!.team.id, model: j.model, format: j.format, policy: j.policy, text: JSON.stringify(turns) });
        let verdict: JudgeVerdict | undefined = guards.verdicts.get(key);
        const detail: Record<string, unknown> = { cached: verdict !== undefined };
        if (!verdict) {
          const answer = await callJudgeModel(rt, ctx, sink, { model: j.model, messages: judgeMessages(j.format, j.policy, turns), maxTokens: j.maxTokens, timeoutMs: j.timeoutMs });
          Object.assign(detail, { tokens: answer.usage.promptTokens + answer.usage.completionTokens, costUsd: microsToUsd(answer.costMicros) });
          verdict = parseVerdict(j.format, answer.text);
          guards.verdicts.set(key, verdict, j.cacheTtlSeconds);
        }
        const hit = countsAsHit(verdict, j.categories);
        return decided(hit, j.action, 'judge_denied', 'The request was rejected by the content policy judge.', { ...detail, categories: verdict.unsafe ? verdict.categories : undefined });
      }),
    );
  }

  for (const s of g.external.services) {
    if (s.kind === 'presidio') continue;
    const guard = EXTERNAL_GUARD_NAMES[s.kind];
    tasks.push(
      settle(guard, s.onError, async () => {
        const turns = turnsOf(req, s.roles);
        if (!turns.length) return { action: 'allow', detail: { service: s.name } };
        const v = await checkExternal(s, check(ctx, req, turns));
        // A hook may itself say `flag`; otherwise a hit does what the service's action says.
        const action = v.verdict === 'allow' ? 'allow' : v.verdict === 'flag' ? 'flag' : (s.action as 'block' | 'flag');
        return decided(action !== 'allow', action === 'allow' ? 'block' : action, 'external_guard_denied', `The request was rejected by the guardrail service '${s.name}'.`, {
          service: s.name,
          categories: v.categories.length ? v.categories : undefined,
          reason: v.reason,
        });
      }, { service: s.name }),
    );
  }
  return Promise.all(tasks);
}

function decided(hit: boolean, action: 'block' | 'flag', code: ErrorCode, message: string, detail: Record<string, unknown>): Omit<ModelGuardOutcome, 'guard' | 'ms'> {
  if (!hit) return { action: 'allow', detail };
  return { action, detail, refusal: action === 'block' ? new GatewayError(code, message) : undefined };
}

const unavailable = (guard: string) =>
  new GatewayError('guard_unavailable', `The ${guard.replace('_', ' ')} guard is temporarily unavailable, so the request was not sent. Retry shortly.`, {
    headers: { 'retry-after': '1' },
  });

/** Audits every outcome, flags, and throws the refusal that decides the request (a block before an error). */
export function applyModelGuards(rt: Runtime, ctx: RequestContext, outcomes: readonly ModelGuardOutcome[], sink: ResponseSink): void {
  for (const o of outcomes) audit(rt, ctx, o.guard, o.action, performance.now() - o.ms, o.detail);
  const flagged = outcomes.filter((o) => o.action === 'flag');
  if (flagged.length) {
    // Presidio's and the later guards' flags on one header.
    const all = ((ctx.notes.guardFlags as string[] | undefined) ??= []);
    for (const o of flagged) all.push(typeof o.detail.service === 'string' ? `${o.guard}:${o.detail.service}` : o.guard);
    sink.setHeader('x-gateway-guard-flags', all.join(','));
  }
  const decisive = outcomes.find((o) => o.refusal && o.action === 'block') ?? outcomes.find((o) => o.refusal);
  if (!decisive) return;
  if (decisive.action === 'block') ctx.guardBlocks++;
  throw decisive.refusal;
}

/**
 * Presidio services, before the PII stage, on the text as the client sent it: `action: pii` returns its spans as
 * PII findings per text (the PII stage applies the team's actions to them with its own findings); `block` /
 * `flag` (and `pii` when the team's PII guard is off: nothing would apply them) decide like the other services.
 */
export async function analyzeWithPresidio(
  rt: Runtime,
  ctx: RequestContext,
  req: ChatRequest,
  guards: TeamGuards,
): Promise<{ findings: Map<string, PiiFinding[]>; outcomes: ModelGuardOutcome[] }> {
  const findings = new Map<string, PiiFinding[]>();
  const g = guards.policy.guards;
  const t0 = performance.now();
  const services = g.external.services.filter((s): s is ExternalService => s.kind === 'presidio');
  const outcomes = await Promise.all(
    services.map(async (s): Promise<ModelGuardOutcome> => {
      const toPii = s.action === 'pii' && g.pii.enabled;
      const turns = toPii ? textUnits(req, s.roles) : turnsOf(req, s.roles);
      const base = { guard: 'presidio', ms: 0 };
      try {
        const spans = turns.length ? await analyzeExternal(s, check(ctx, req, turns)) : [];
        const types = [...new Set(spans.map((x) => x.entityType))].sort();
        const ms = performance.now() - t0;
        if (toPii) {
          let applied = 0;
          for (const span of spans) {
            const text = turns[span.text]!.text;
            const category = presidioCategory(span.entityType, text.slice(span.start, span.end));
            if (!category) continue;
            applied++;
            const list = findings.get(text) ?? [];
            list.push({ category, start: span.start, end: span.end });
            findings.set(text, list);
          }
          return { ...base, ms, action: 'allow', detail: { service: s.name, spans: spans.length, toPii: applied, entities: types.length ? types : undefined } };
        }
        const action = s.action === 'flag' ? 'flag' : 'block';
        return { ...base, ms, ...decided(spans.length > 0, action, 'external_guard_denied', `The request was rejected by the guardrail service '${s.name}'.`, { service: s.name, spans: spans.length, entities: types.length ? types : undefined }) };
      } catch (err) {
        return failedOutcome(rt, ctx, 'presidio', s.onError, err, performance.now() - t0, { service: s.name });
      }
    }),
  );
  return { findings, outcomes };
}

/** A guard that could not decide: warned about (throttled), audited with its reason, refused when `onError: block`. */
function failedOutcome(rt: Runtime, ctx: RequestContext, guard: string, onError: 'block' | 'allow', err: unknown, ms: number, about: Record<string, unknown>): ModelGuardOutcome {
  const reason = err instanceof GuardUnavailableError ? err.reason : 'failed';
  unavailableWarning(rt, ctx, guard, reason, (err as Error).message, onError);
  return { guard, ms, action: 'error', detail: { ...about, reason, onError }, refusal: onError === 'block' ? unavailable(guard) : undefined };
}

const warnings = new Map<string, LogThrottle>();
/** One warning line per guard at most every 10 s (each request's own log line carries the audit entry regardless). */
function unavailableWarning(rt: Runtime, ctx: RequestContext, guard: string, reason: string, message: string, onError: string): void {
  let throttle = warnings.get(guard);
  if (!throttle) warnings.set(guard, (throttle = createLogThrottle()));
  const take = throttle.take();
  if (!take) return;
  rt.logger.warn(
    { guard, reason, err: message, onError, requestId: ctx.id, ...(take.suppressed ? { suppressed: take.suppressed } : {}) },
    onError === 'block' ? `${guard} guard unavailable: requests refused with 503 guard_unavailable` : `${guard} guard unavailable: requests served unchecked (onError: allow)`,
  );
}

const round = (n: number) => Math.round(n * 1000) / 1000;
