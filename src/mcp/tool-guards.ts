/**
 * The team's PII guard and injection detector applied to MCP traffic: tool arguments (before they reach the
 * server), tool results (before they reach the client, and from there a model) and tool descriptions (a poisoned
 * description instructs the model that reads it). Same policy as chat (`guards.pii`, `guards.injection`):
 * `pii.toolArguments` / `pii.toolResults` choose the directions, `injection.action` blocks or flags.
 * Pseudonyms given to argument values are not restored in results: both directions are one-way protections.
 */
import { createPiiSession, summariseFindings, type PiiSession } from '../../guards/pii/index.js';
import type { InjectionDetector } from '../../guards/injection/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { TeamGuards } from '../pipeline/team-guards.js';
import { refusal } from './refusal.js';

/** One guard decision, safe to log (categories and scores, never text). */
export interface GuardAudit {
  guard: 'pii' | 'injection';
  on: 'arguments' | 'result' | 'description';
  action: string;
  [detail: string]: unknown;
}

const MAX_DEPTH = 32;

/** Maps every string inside a JSON value (object keys untouched). */
export function mapStrings(value: unknown, fn: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return fn(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn, depth + 1);
  return out;
}

/** Deeper than the guards scan: such a value is refused (arguments) or withheld (results), never passed unscanned. */
export function tooDeep(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (tooDeep(v, depth + 1)) return true;
  return false;
}

function strings(value: unknown): string[] {
  const all: string[] = [];
  mapStrings(value, (s) => (all.push(s), s));
  return all;
}

function injectionScore(det: InjectionDetector, texts: string[]): { score: number; signals: string[] } {
  let best = { score: 0, signals: [] as string[] };
  for (const t of texts) {
    if (!t.trim()) continue;
    const s = det.score(t);
    if (s.score > best.score) best = { score: s.score, signals: s.signals };
  }
  return best;
}

function piiPass(guards: TeamGuards, value: unknown, on: GuardAudit['on'], audit: GuardAudit[], session?: PiiSession): { value: unknown; blocked: string[] } {
  const pii = guards.pii!;
  const s = session ?? createPiiSession(pii.detector, pii.policy);
  const findings: { category: string; action: string }[] = [];
  const blocked = new Set<string>();
  const out = mapStrings(value, (text) => {
    const r = s.apply(text);
    findings.push(...r.findings);
    for (const c of r.blocked) blocked.add(c);
    return r.text;
  });
  if (findings.length) audit.push({ guard: 'pii', on, action: blocked.size ? 'block' : 'transform', ...summariseFindings(findings as never) });
  return { value: out, blocked: [...blocked] };
}

/** Arguments as the server may see them; throws a refusal when a guard blocks. */
export function guardArguments(guards: TeamGuards, args: Record<string, unknown>, audit: GuardAudit[]): Record<string, unknown> {
  const g = guards.policy.guards;
  if ((guards.injection || (guards.pii && g.pii.toolArguments)) && tooDeep(args)) {
    throw refusal('invalid_arguments', `The tool call was refused: its arguments are nested deeper than ${MAX_DEPTH} levels, more than the gateway's guards scan.`);
  }
  if (guards.injection) {
    const s = injectionScore(guards.injection, strings(args));
    if (s.score >= g.injection.threshold) {
      audit.push({ guard: 'injection', on: 'arguments', action: g.injection.action, score: round(s.score), signals: s.signals });
      if (g.injection.action === 'block') throw refusal('prompt_injection_detected', 'The tool call was refused: its arguments look like a prompt injection.');
    }
  }
  if (guards.pii && g.pii.toolArguments) {
    const r = piiPass(guards, args, 'arguments', audit);
    if (r.blocked.length) throw refusal('pii_detected', `The tool call was refused: its arguments contain ${r.blocked.join(', ')}, which this team's policy blocks.`);
    return r.value as Record<string, unknown>;
  }
  return args;
}

/** The result as the client may see it: PII handled per policy; an injection blocked (an error result) or flagged. */
export function guardResult(guards: TeamGuards, result: CallToolResult, audit: GuardAudit[]): CallToolResult {
  const g = guards.policy.guards;
  // Only what a model reads: text parts, embedded text resources and structured content (not images, not _meta).
  const readable = { content: result.content, structuredContent: result.structuredContent };
  if ((guards.injection || (guards.pii && g.pii.toolResults)) && tooDeep(readable)) {
    audit.push({ guard: guards.injection ? 'injection' : 'pii', on: 'result', action: 'block', reason: 'too_deep' });
    return { isError: true, content: [{ type: 'text', text: `The gateway withheld this tool result: it is nested deeper than ${MAX_DEPTH} levels, more than its guards scan.` }] };
  }
  if (guards.injection) {
    const s = injectionScore(guards.injection, textsOf(readable));
    if (s.score >= g.injection.threshold) {
      audit.push({ guard: 'injection', on: 'result', action: g.injection.action, score: round(s.score), signals: s.signals });
      if (g.injection.action === 'block') {
        return { isError: true, content: [{ type: 'text', text: 'The gateway withheld this tool result: it looks like a prompt injection.' }] };
      }
      result = { ...result, _meta: { ...result._meta, 'gateway/injectionScore': round(s.score) } };
    }
  }
  if (guards.pii && g.pii.toolResults) {
    const r = piiPass(guards, readable, 'result', audit);
    if (r.blocked.length) {
      return { isError: true, content: [{ type: 'text', text: `The gateway withheld this tool result: it contains ${r.blocked.join(', ')}, which this team's policy blocks.` }] };
    }
    const v = r.value as typeof readable;
    result = { ...result, content: v.content };
    if (v.structuredContent !== undefined) result.structuredContent = v.structuredContent;
  }
  return result;
}

/** Strings of text content (text parts, embedded text resources) and structured content. */
function textsOf(readable: { content: CallToolResult['content']; structuredContent?: unknown }): string[] {
  const out: string[] = [];
  for (const c of readable.content ?? []) {
    if (c.type === 'text') out.push(c.text);
    else if (c.type === 'resource' && 'text' in c.resource && typeof c.resource.text === 'string') out.push(c.resource.text);
  }
  if (readable.structuredContent !== undefined) out.push(...strings(readable.structuredContent));
  return out;
}

/** The texts a model reads about a tool: title, description, and the titles and descriptions inside its input and output schemas. */
export function descriptionTexts(tool: Tool): string[] {
  const out = [tool.title ?? '', tool.description ?? '', tool.annotations?.title ?? ''];
  const walk = (node: unknown, depth: number) => {
    if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'description' || k === 'title') && typeof v === 'string') out.push(v);
      else walk(v, depth + 1);
    }
  };
  walk(tool.inputSchema, 0);
  walk(tool.outputSchema, 0);
  return out.filter(Boolean);
}

/** Injection score of a tool's descriptions (the highest of its texts). */
export function descriptionScore(det: InjectionDetector, tool: Tool): { score: number; signals: string[] } {
  return injectionScore(det, descriptionTexts(tool));
}

/** The tool with PII in its descriptions handled per the team's policy (when the PII guard is on). */
export function guardDescription(guards: TeamGuards, tool: Tool): Tool {
  if (!guards.pii) return tool;
  const audit: GuardAudit[] = [];
  const apply = (s: string | undefined) => (s === undefined ? s : (piiPass(guards, s, 'description', audit).value as string));
  const out: Tool = { ...tool, description: apply(tool.description) };
  if (tool.title !== undefined) out.title = apply(tool.title);
  return audit.length ? out : tool;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
