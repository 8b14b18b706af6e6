/**
 * Stage 4: input guards, in order — prompt guard (cheapest, regex), injection detector, PII (rewrites the
 * request), semantic deny topics. Each decision is audited (guard, counts, action, latency; never matched text)
 * into the request's log line and metrics. Returns the request to send and what the answer needs on the way back.
 */
import { createHash } from 'node:crypto';
import { actionFor, blockedMessage, createPiiSession, summariseFindings, type PiiFinding, type PiiSession } from '../../guards/pii/index.js';
import { guardRole } from '../../guards/guard-text.js';
import { PROMPT_DENIED_MESSAGE } from '../../guards/prompt-guard/index.js';
import { TopicGuardUnavailableError, topicUnits } from '../../guards/semantic-topics/index.js';
import { GatewayError } from '../core/errors.js';
import { withBody, withMessages } from '../core/normalise.js';
import type { ChatMessage, ChatRequest } from '../core/types.js';
import type { Runtime } from '../runtime.js';
import type { RequestContext } from './context.js';
import { mapMessageText, mapToolArguments, messageText } from './message-text.js';
import type { ResponseSink } from './response-sink.js';
import type { TeamGuards } from './team-guards.js';
import { analyzeWithPresidio, applyModelGuards, hasModelGuards, startModelGuards } from './model-guards.js';
import { createLogThrottle } from '../util/log-throttle.js';

export interface GuardedRequest {
  req: ChatRequest;
  /** Set when pseudonyms must be restored in the answer. */
  pii?: PiiSession;
  /** Redact PII the model writes. */
  outputRedaction: boolean;
}

export async function applyInputGuards(
  rt: Runtime,
  ctx: RequestContext,
  req: ChatRequest,
  guards: TeamGuards,
  sink: ResponseSink,
): Promise<GuardedRequest> {
  const g = guards.policy.guards;
  const outputRedaction = g.pii.enabled && g.pii.output;
  if (!guards.anyInput) return { req, outputRedaction };

  if (guards.prompt) {
    const t0 = performance.now();
    const result = guards.prompt.check(req.messages.map((m) => ({ role: m.role, text: messageText(m) })));
    audit(rt, ctx, 'prompt', result.ok ? 'allow' : 'block', t0, result.ok ? {} : { reason: result.reason, rule: result.rule });
    if (!result.ok) throw block(ctx, 'prompt_denied', PROMPT_DENIED_MESSAGE);
  }

  if (guards.injection) {
    const t0 = performance.now();
    let best = { score: 0, signals: [] as string[] };
    for (const m of req.messages) {
      if (!(g.injection.roles as string[]).includes(guardRole(m.role))) continue;
      const s = guards.injection.score(messageText(m));
      if (s.score > best.score) best = s;
    }
    const hit = best.score >= g.injection.threshold;
    const action = hit ? g.injection.action : 'allow';
    audit(rt, ctx, 'injection', action, t0, { score: round(best.score), signals: hit ? best.signals : undefined });
    if (hit && action === 'block') throw block(ctx, 'prompt_injection_detected', 'The request was rejected because it looks like a prompt injection.');
    if (hit) sink.setHeader('x-gateway-injection-score', round(best.score));
  }

  // Presidio analyzers read the text as the client sent it: their spans feed the PII stage below (docs/guards.md).
  let presidio: Map<string, PiiFinding[]> | undefined;
  if (g.external.services.some((s) => s.kind === 'presidio')) {
    const r = await analyzeWithPresidio(rt, ctx, req, guards);
    applyModelGuards(rt, ctx, r.outcomes, sink);
    if (r.findings.size) presidio = r.findings;
  }

  let pii: PiiSession | undefined;
  if (guards.pii) {
    const t0 = performance.now();
    pii = createPiiSession(guards.pii.detector, guards.pii.policy);
    const findings: { category: string; action: string }[] = [];
    const blocked = new Set<string>();
    // NER (optional) is async: find names and addresses in every text in scope first, then apply synchronously.
    const ner = new Map<string, PiiFinding[]>();
    if (guards.pii.ner) {
      const texts = new Set<string>();
      for (const m of req.messages) scanMessage(m, g.pii, (t) => (texts.add(t), t));
      await Promise.all(
        [...texts].map(async (t) => ner.set(t, await guards.pii!.ner!.detect(t).catch((err) => nerUnavailable(rt, err)))),
      );
    }
    const apply = (text: string) => {
      const extra = presidio?.get(text);
      const r = pii!.apply(text, extra ? [...(ner.get(text) ?? []), ...extra] : ner.get(text));
      findings.push(...r.findings);
      for (const c of r.blocked) blocked.add(c);
      return r.text;
    };
    const messages = req.messages.map((m) => scanMessage(m, g.pii, apply));
    const identifiers = scanEndUserIds(req, guards.pii, findings, blocked);
    const summary = summariseFindings(findings as never);
    audit(rt, ctx, 'pii', blocked.size ? 'block' : findings.length ? 'transform' : 'allow', t0, findings.length ? { ...summary } : {});
    if (blocked.size) throw block(ctx, 'pii_detected', blockedMessage([...blocked] as never));
    if (messages.some((m, i) => m !== req.messages[i])) req = withMessages(req, messages);
    if (identifiers) req = withBody(req, identifiers);
    if (pii.placeholderCount === 0) pii = undefined;
  }

  // Classifier, LLM judge and external services: started together on the text the provider will get, collected
  // after the topics guard (model-guards.ts). The catch only keeps a refusal from being unhandled should the
  // topics guard refuse first.
  const modelGuards = hasModelGuards(guards) ? startModelGuards(rt, ctx, req, guards, sink) : undefined;
  modelGuards?.catch(() => undefined);
  const collect = async () => {
    if (modelGuards) applyModelGuards(rt, ctx, await modelGuards, sink);
  };

  if (g.topics.enabled && g.topics.deny.length) {
    const t0 = performance.now();
    // Every scanned message (not only the last user turn: history is the client's to write) and all of them
    // joined, so a topic split over turns is seen too. Text as the provider gets it (after PII replacement).
    const units = topicUnits(req.messages.map((m) => ({ role: m.role, text: messageText(m) })), g.topics.roles);
    let topic: Awaited<ReturnType<Runtime['topics']['match']>>;
    try {
      topic = await rt.topics.match(units, g.topics.deny, g.topics.threshold, { timeoutMs: g.topics.timeoutMs, ready: rt.vectors.ready });
    } catch (err) {
      const reason = err instanceof TopicGuardUnavailableError ? err.reason : 'embedder_failed';
      audit(rt, ctx, 'topics', 'error', t0, { reason, onError: g.topics.onError });
      topicsUnavailable(rt, ctx, reason, g.topics.onError);
      if (g.topics.onError === 'block') {
        throw new GatewayError('topic_guard_unavailable', 'The topic guard is temporarily unavailable, so the request was not sent. Retry shortly.', {
          headers: { 'retry-after': '1' },
        });
      }
      await collect();
      return { req, pii, outputRedaction };
    }
    audit(rt, ctx, 'topics', topic ? 'block' : 'allow', t0, topic ? { topic: topic.name, similarity: round(topic.similarity) } : {});
    if (topic) throw block(ctx, 'topic_denied', 'The request was rejected because its topic is not allowed.');
  }

  await collect();
  return { req, pii, outputRedaction };
}

const topicsWarnings = createLogThrottle();
/** One warning line at most every 10 s (each request's own log line carries the audit entry regardless). */
function topicsUnavailable(rt: Runtime, ctx: RequestContext, reason: string, onError: string): void {
  const take = topicsWarnings.take();
  if (!take) return;
  rt.logger.warn(
    { guard: 'topics', reason, onError, requestId: ctx.id, ...(take.suppressed ? { suppressed: take.suppressed } : {}) },
    onError === 'block' ? 'semantic topics guard unavailable: requests refused with 503 topic_guard_unavailable' : 'semantic topics guard unavailable: requests served unchecked (onError: allow)',
  );
}

const nerWarnings = createLogThrottle(60_000);
/** A missing or broken NER model must not take traffic down: patterns still run; warn at most once a minute. */
function nerUnavailable(rt: Runtime, err: unknown): PiiFinding[] {
  if (nerWarnings.take()) rt.logger.warn({ err: (err as Error).message }, 'PII NER recognizer unavailable; names and addresses are not detected');
  return [];
}

/** Request fields that name the application's end user; the provider keeps them for abuse monitoring. */
const END_USER_ID_FIELDS = ['user', 'safety_identifier'] as const;

/**
 * Applications often put the end user's e-mail address or phone number in `user` / `safety_identifier`, which
 * reach the provider outside the messages. A field with PII in it (unless every finding's action is `allow`) is
 * replaced as a whole by a SHA-256 digest of its value, not by a placeholder: the field exists to tell end users
 * apart, so it must stay one stable value per end user, and a `[EMAIL_1]` would lump them all together. Findings
 * are audited and honour `block` like those in messages. Returns the changed fields, or undefined.
 */
function scanEndUserIds(
  req: ChatRequest,
  pii: NonNullable<TeamGuards['pii']>,
  findings: { category: string; action: string }[],
  blocked: Set<string>,
): Record<string, string> | undefined {
  let changed: Record<string, string> | undefined;
  for (const field of END_USER_ID_FIELDS) {
    const value = (req.body as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value.length === 0) continue;
    let replace = false;
    for (const f of pii.detector.detect(value)) {
      const action = actionFor(pii.policy, f.category);
      findings.push({ category: f.category, action });
      if (action === 'block') blocked.add(f.category);
      if (action !== 'allow') replace = true;
    }
    if (replace) (changed ??= {})[field] = `sha256:${createHash('sha256').update(value).digest('hex')}`;
  }
  return changed;
}

function scanMessage(m: ChatMessage, scope: TeamGuards['policy']['guards']['pii'], apply: (text: string) => string): ChatMessage {
  if (guardRole(m.role) === 'tool') return scope.toolResults ? mapMessageText(m, apply) : m;
  let out = (scope.roles as string[]).includes(m.role) ? mapMessageText(m, apply) : m;
  if (scope.toolArguments) out = mapToolArguments(out, apply);
  return out;
}

export function audit(rt: Runtime, ctx: RequestContext, guard: string, action: string, t0: number, detail: Record<string, unknown>) {
  const entry = { guard, action, ms: round(performance.now() - t0), ...detail };
  ((ctx.notes.guards as unknown[]) ??= []).push(entry);
  rt.metrics?.recordGuard(guard, action);
}

function block(ctx: RequestContext, code: 'prompt_denied' | 'prompt_injection_detected' | 'pii_detected' | 'topic_denied', message: string) {
  ctx.guardBlocks++;
  return new GatewayError(code, message);
}

const round = (n: number) => Math.round(n * 1000) / 1000;
