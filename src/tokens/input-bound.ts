/**
 * An upper bound of the input tokens a provider can bill for a request, per target: what a budget hold must
 * cover (docs/budgets.md, "How a hold is bounded").
 *
 * The request is read once into a profile (its text tokens by tiktoken, its images, the parts whose size cannot
 * be known from the request); each target then applies its provider's rules (`billing-rules.ts`):
 *  - text: tiktoken's count × the provider's tokenizer margin;
 *  - images: the provider's published formula for the model, at the image's size when it is inline, else at the
 *    largest size the formula allows;
 *  - tools: the tool-use system prompt the provider adds (Anthropic);
 *  - files (PDF or any other), audio, provider-run tools (web search feeds its results back as input) and content
 *    types the gateway does not know: nothing in the request
 *    bounds their tokens (a PDF page's text layer, an audio clip's length), so the bound is the model's whole
 *    context window — the most input the provider accepts.
 * Every bound is capped at the context window: a provider refuses, and does not bill, a longer prompt.
 */
import type { ChatRequest } from '../core/types.js';
import { billingRules, type ProviderKind } from './billing-rules.js';
import { countTextTokens } from './encoding.js';
import { imageSizeFromUrl, imageTokens, type ImageDimensions } from './image-tokens.js';
import { isRecord } from '../util/is-record.js';

/** Context window assumed for a `provider/model` name the model table does not list. */
export const UNLISTED_CONTEXT_WINDOW = 2_000_000;

export interface InputProfile {
  /** tiktoken's count of everything but images (messages, framing, tools, response schema). */
  readonly textTokens: number;
  readonly images: readonly { detail: string | undefined; size: ImageDimensions | undefined }[];
  /** Part types whose tokens nothing in the request bounds (e.g. `file`, `input_audio`); empty for most requests. */
  readonly unbounded: readonly string[];
  readonly hasTools: boolean;
}

/**
 * Pure. The profile of `req`, given tiktoken's estimate of its prompt (`countPromptTokens`, which counts images
 * by gpt-4o's formula: that part is taken out again here).
 */
export function inputProfile(req: ChatRequest, promptEstimate: number): InputProfile {
  const images: InputProfile['images'][number][] = [];
  const unbounded = new Set<string>();
  let imageEstimate = 0;
  for (const message of req.messages as readonly unknown[]) {
    if (!isRecord(message) || !Array.isArray(message.content)) continue;
    for (const part of message.content) {
      if (typeof part === 'string' || !isRecord(part)) continue;
      const type = typeof part.type === 'string' ? part.type : 'unknown';
      if (type === 'text' || type === 'refusal') continue;
      if (type === 'image_url' && isRecord(part.image_url)) {
        const url = typeof part.image_url.url === 'string' ? part.image_url.url : '';
        const detail = typeof part.image_url.detail === 'string' ? part.image_url.detail : undefined;
        const size = imageSizeFromUrl(url);
        images.push({ detail, size });
        imageEstimate += imageTokens(detail, detail === 'low' ? undefined : size);
        continue;
      }
      unbounded.add(type);
    }
  }
  const extra = req.passthrough ? passthroughExtras(req.passthrough) : undefined;
  if (extra) for (const u of extra.unbounded) unbounded.add(u);
  const body = req.body as Record<string, unknown>;
  const hasTools = (Array.isArray(body.tools) && body.tools.length > 0) || (Array.isArray(body.functions) && body.functions.length > 0);
  // A provider-run tool (web search, code execution, …) feeds its results back as input the provider bills.
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) if (isRecord(t) && t.type !== undefined && t.type !== 'function' && t.type !== 'custom') unbounded.add(`tool '${String(t.type)}'`);
  }
  return { textTokens: Math.max(0, promptEstimate - imageEstimate) + (extra?.tokens ?? 0), images, unbounded: [...unbounded], hasTools };
}

/**
 * Top-level native parameters that add no input (`thinking` adds output, bounded as such). Anything else the
 * neutral request cannot hold (`previous_response_id`, a stored `prompt`, `mcp_servers`, …) may bring input only
 * the provider knows.
 */
const NO_INPUT_PARAMS = new Set([
  'model', 'thinking', 'top_k', 'service_tier', 'stop_sequences', 'include', 'background', 'store', 'top_logprobs',
  'stream_options', 'prompt_cache_key', 'truncation', 'metadata', 'user', 'safety_identifier',
]);

/**
 * What a native body (Anthropic Messages, OpenAI Responses) sends a same-format target beyond the neutral
 * messages the estimate counted: replayed thinking and reasoning (their text, or for encrypted ones their length:
 * a token is at least a byte), and everything else the neutral request cannot hold — documents, server tools,
 * MCP servers, file inputs — which only the context window bounds.
 */
function passthroughExtras(pt: NonNullable<ChatRequest['passthrough']>): { tokens: number; unbounded: string[] } {
  let tokens = 0;
  const unbounded: string[] = [];
  for (const u of pt.untranslatable) {
    const path = u.param.split(/[.[\]]+/).filter(Boolean);
    if (path.length === 1 && NO_INPUT_PARAMS.has(path[0]!)) continue;
    let node: unknown = pt.body;
    for (const step of path) node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[step] : undefined;
    const type = isRecord(node) && typeof node.type === 'string' ? node.type : undefined;
    if (type === 'thinking' && isRecord(node)) tokens += countTextTokens(String(node.thinking ?? ''), 'o200k_base');
    else if (type === 'redacted_thinking' && isRecord(node)) tokens += String(node.data ?? '').length;
    else if (type === 'reasoning' && isRecord(node)) {
      tokens += String(node.encrypted_content ?? '').length;
      if (Array.isArray(node.summary)) for (const s of node.summary) if (isRecord(s)) tokens += countTextTokens(String(s.text ?? ''), 'o200k_base');
    } else unbounded.push(type ?? path[0]!);
  }
  return { tokens, unbounded };
}

export interface BoundTarget {
  kind: ProviderKind;
  upstreamModel: string;
  /** From the model table; undefined for unlisted names. */
  contextWindow?: number;
}

/** Pure. The most input tokens `target`'s provider can bill for a request with this profile. */
export function inputTokenBound(profile: InputProfile, target: BoundTarget, body?: Readonly<Record<string, unknown>>): number {
  const context = target.contextWindow ?? UNLISTED_CONTEXT_WINDOW;
  if (profile.unbounded.length > 0) return context;
  const rules = billingRules(target.kind, target.upstreamModel, body);
  let n = Math.ceil(profile.textTokens * rules.textMargin) + rules.fixedTokens;
  for (const image of profile.images) n += rules.image(image.detail, image.size);
  if (profile.hasTools) n += rules.toolSystemPromptTokens;
  return Math.min(n, context);
}

/** Pure. Why a bound is the whole context window, for a refusal message; undefined when it is not. */
export function unboundedReason(profile: InputProfile): string | undefined {
  if (profile.unbounded.length === 0) return undefined;
  const names = profile.unbounded.map((t) => (t === 'file' ? 'a file' : t === 'input_audio' ? 'audio' : t.startsWith('tool ') ? `a provider-run ${t}` : `a '${t}' part`));
  return `${names.join(' and ')} in the prompt (its tokens can only be bounded by the model's context window)`;
}
