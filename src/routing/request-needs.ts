/**
 * What a request asks of a model (tools, images, JSON mode, context length) and the text semantic routing
 * embeds. Computed once per request, lazily, from the frozen neutral request.
 */
import type { ChatRequest } from '../core/types.js';

export type Capability = 'tools' | 'vision' | 'json' | 'streaming';

/** Facts about one request; pure functions of it. */
export interface RequestNeeds {
  readonly capabilities: readonly Capability[];
  /** Estimated prompt tokens plus the output the request may produce: what must fit in the context window. */
  readonly contextTokens: number;
  readonly promptTokens: number;
  /** Output tokens assumed for cost ranking when the request sets no cap. */
  readonly expectedOutputTokens: number;
}

/** Assumed output for cost ranking when the client gives no max: typical chat answers are a few hundred tokens. */
const TYPICAL_OUTPUT_TOKENS = 500;

export function requestNeeds(req: ChatRequest, promptTokens: number): RequestNeeds {
  const caps: Capability[] = [];
  const body = req.body as Record<string, unknown>;
  if ((Array.isArray(body.tools) && body.tools.length > 0) || (Array.isArray(body.functions) && body.functions.length > 0)) caps.push('tools');
  if (req.messages.some(hasImage)) caps.push('vision');
  const rf = body.response_format as { type?: string } | undefined;
  if (rf && (rf.type === 'json_object' || rf.type === 'json_schema')) caps.push('json');
  if (req.stream) caps.push('streaming');
  return {
    capabilities: caps,
    promptTokens,
    contextTokens: promptTokens + (req.maxOutputTokens ?? 0),
    expectedOutputTokens: req.maxOutputTokens ?? TYPICAL_OUTPUT_TOKENS,
  };
}

function hasImage(m: ChatRequest['messages'][number]): boolean {
  const c = (m as { content?: unknown }).content;
  return Array.isArray(c) && c.some((p) => (p as { type?: string })?.type === 'image_url');
}

/** Longest text embedded for semantic routing: the intent is in the first words; embedding cost grows with length. */
const MAX_ROUTING_TEXT = 2_000;

/** The text semantic routing looks at: the last user message (its text parts), truncated. */
export function routingText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== 'user') continue;
    const c = m.content;
    const text =
      typeof c === 'string'
        ? c
        : c
            .map((p) => (p.type === 'text' ? p.text : ''))
            .filter(Boolean)
            .join('\n');
    return text.slice(0, MAX_ROUTING_TEXT);
  }
  return '';
}
