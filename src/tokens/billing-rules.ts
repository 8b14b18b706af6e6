/**
 * How each provider counts what it bills, beyond plain text, per model family: image tokens, the system prompt a
 * provider adds when tools are present, how far its tokenizer may count above tiktoken, and whether the model
 * produces output the client never sees (reasoning). Used only to bound a budget hold from above
 * (`input-bound.ts`); the ledger always records what the provider reported.
 *
 * Sources, as published by the providers (docs/budgets.md cites each):
 *  - OpenAI "Images and vision → Calculating costs": tile models (base + per 512-px tile after fitting into
 *    2048×2048 and scaling the short side to 768) and patch models (32-px patches, at most 1536, times a
 *    per-model multiplier).
 *  - Anthropic "Vision → Calculate image costs": tokens = width × height / 750; an image whose long edge exceeds
 *    1568 px or that would take more than ~1,600 tokens is scaled down first.
 *  - Anthropic "Tool use → Pricing": the tool-use system prompt per model (auto/none vs any/tool choice).
 */
import { LRUCache } from 'lru-cache';
import { LOW_DETAIL_IMAGE_TOKENS, type ImageDimensions } from './image-tokens.js';

export type ProviderKind = 'openai' | 'anthropic';

export interface BillingRules {
  /** Upper bound of the tokens of one image part (`size` undefined when it cannot be read, e.g. a remote URL). */
  image(detail: string | undefined, size: ImageDimensions | undefined): number;
  /** Multiplier on the tiktoken count of text: the provider's tokenizer may count more. */
  readonly textMargin: number;
  /** Tokens the provider adds to every request beyond the counted framing (its own prompt scaffolding). */
  readonly fixedTokens: number;
  /** Tokens the provider adds to the prompt when the request carries tools. */
  readonly toolSystemPromptTokens: number;
  /** The model may bill output the stream never shows (reasoning / thinking tokens). */
  readonly hiddenOutput: boolean;
}

/** OpenAI tile formula with a model's base and per-tile tokens (the same geometry as `imageTokens`). */
function tileRule(base: number, perTile: number) {
  return (detail: string | undefined, size: ImageDimensions | undefined): number => {
    if (detail === 'low') return base;
    if (!size || !(size.width > 0) || !(size.height > 0)) return base + perTile * 8; // 8 tiles is the most
    let { width, height } = size;
    const fit = Math.min(1, 2048 / Math.max(width, height));
    width = Math.floor(width * fit);
    height = Math.floor(height * fit);
    const shrink = Math.min(1, 768 / Math.min(width, height));
    width = Math.floor(width * shrink);
    height = Math.floor(height * shrink);
    return base + perTile * Math.min(8, Math.ceil(width / 512) * Math.ceil(height / 512));
  };
}

/** OpenAI patch formula: 32-px patches, capped at 1536 (the image is scaled down to fit), times a multiplier. */
function patchRule(multiplier: number) {
  return (_detail: string | undefined, size: ImageDimensions | undefined): number => {
    const patches = size && size.width > 0 && size.height > 0 ? Math.ceil(size.width / 32) * Math.ceil(size.height / 32) : 1536;
    return Math.ceil(Math.min(1536, patches) * multiplier);
  };
}

/** Anthropic: width × height / 750, images scaled down past 1568 px on the long edge or ~1,600 tokens. */
export const ANTHROPIC_MAX_IMAGE_TOKENS = 1600;
function anthropicImage(_detail: string | undefined, size: ImageDimensions | undefined): number {
  if (!size || !(size.width > 0) || !(size.height > 0)) return ANTHROPIC_MAX_IMAGE_TOKENS;
  const scale = Math.min(1, 1568 / Math.max(size.width, size.height));
  const tokens = Math.ceil((size.width * scale * (size.height * scale)) / 750);
  return Math.min(ANTHROPIC_MAX_IMAGE_TOKENS, tokens);
}

/**
 * tiktoken's o200k/cl100k are the tokenizers of OpenAI's own models: text counts match. The 5 % covers the parts
 * the cookbook formula only approximates (tool definitions, message framing).
 */
const OPENAI_TEXT_MARGIN = 1.05;
/**
 * Claude's tokenizer is not public, nor is an open model's behind a compatible server. On the recorded Anthropic
 * transcripts, input tokens were at most 1.35 × tiktoken's o200k count + 64 once the tool system prompt is taken
 * out (test/tokens/billing-rules.test.ts; short prompts with thinking on carry a fixed overhead), and Anthropic
 * says its newer tokenizer uses up to 35 % more tokens than the previous one. A provider that still bills more
 * is charged in full and its scope refused until it is covered (docs/budgets.md).
 */
export const FOREIGN_TEXT_MARGIN = 1.35;
export const FOREIGN_FIXED_TOKENS = 64;

/** Reasoning models of OpenAI (o-series, gpt-5 family but its chat variant, codex). */
const OPENAI_REASONING = /^(o\d|gpt-5(?!-chat)|codex)/i;

interface Family {
  match: RegExp;
  rules: Omit<BillingRules, 'hiddenOutput'>;
}

// First match wins: more specific names first.
const OPENAI_FAMILIES: Family[] = [
  { match: /^gpt-4o-mini/i, rules: { image: tileRule(2833, 5667), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^(gpt-4\.1-nano|gpt-5-nano)/i, rules: { image: patchRule(2.46), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^(gpt-4\.1-mini|gpt-5-mini)/i, rules: { image: patchRule(1.62), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^o4-mini/i, rules: { image: patchRule(1.72), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^gpt-5/i, rules: { image: tileRule(70, 140), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^(o1|o3)/i, rules: { image: tileRule(75, 150), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^computer-use/i, rules: { image: tileRule(65, 129), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
  { match: /^(gpt-4o|gpt-4\.1|gpt-4\.5|chatgpt-4o)/i, rules: { image: tileRule(LOW_DETAIL_IMAGE_TOKENS, 170), textMargin: OPENAI_TEXT_MARGIN, fixedTokens: 0, toolSystemPromptTokens: 0 } },
];

/**
 * Any other model behind an OpenAI-compatible API (vLLM, Ollama, …): its tokenizer is unknown, so text gets the
 * foreign margin, and an image the dearest OpenAI rule (gpt-4o-mini's, up to 48,169 tokens), which is above
 * what common open vision models take per image.
 */
const OPENAI_UNKNOWN: Family['rules'] = { image: tileRule(2833, 5667), textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 0 };

/** Anthropic's tool-use system prompt per model, the larger of its two tool_choice figures. */
const ANTHROPIC_FAMILIES: Family[] = [
  { match: /^claude-3-opus/i, rules: { image: anthropicImage, textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 530 } },
  { match: /^claude-3-5-sonnet/i, rules: { image: anthropicImage, textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 294 } },
  { match: /^claude-3(-5)?-haiku/i, rules: { image: anthropicImage, textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 340 } },
  // Claude 3.7 Sonnet and every Claude 4 model: 346 (auto/none), 313 (any/tool).
  { match: /^claude-(3-7|(opus|sonnet|haiku)-4|4)/i, rules: { image: anthropicImage, textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 346 } },
];
/** A Claude model the table does not know: the largest tool prompt published (Claude 3 Opus's). */
const ANTHROPIC_UNKNOWN: Family['rules'] = { image: anthropicImage, textMargin: FOREIGN_TEXT_MARGIN, fixedTokens: FOREIGN_FIXED_TOKENS, toolSystemPromptTokens: 530 };

/**
 * Pure. The billing rules of `upstreamModel` at a provider of `kind`. `body` is the request body, for options
 * that switch on unseen output (Anthropic `thinking`).
 */
export function billingRules(kind: ProviderKind, upstreamModel: string, body?: Readonly<Record<string, unknown>>): BillingRules {
  const byModel = RULES_BY_MODEL[kind];
  let pair = byModel.get(upstreamModel);
  if (!pair) {
    pair = rulesPair(kind, upstreamModel);
    byModel.set(upstreamModel, pair);
  }
  if (kind !== 'anthropic') return pair.plain;
  const thinking = body?.thinking as { type?: unknown } | undefined;
  // Claude 4 streams a summary of its thinking but bills the full thinking tokens.
  const hiddenOutput = typeof thinking === 'object' && thinking !== null && thinking.type !== 'disabled';
  return hiddenOutput ? pair.thinking : pair.plain;
}

/**
 * The rules of each model, built once: the family lookup and the object spread cost ~1–2 µs a call, and admission
 * asks twice per request per target (8 % self time in the first issue-22 profile). Bounded: an unlisted
 * `provider/model` name comes from the client.
 */
const RULES_BY_MODEL: Record<ProviderKind, LRUCache<string, { plain: BillingRules; thinking: BillingRules }>> = {
  openai: new LRUCache({ max: 1000 }),
  anthropic: new LRUCache({ max: 1000 }),
};

function rulesPair(kind: ProviderKind, upstreamModel: string): { plain: BillingRules; thinking: BillingRules } {
  if (kind === 'anthropic') {
    const rules = ANTHROPIC_FAMILIES.find((f) => f.match.test(upstreamModel))?.rules ?? ANTHROPIC_UNKNOWN;
    return { plain: Object.freeze({ ...rules, hiddenOutput: false }), thinking: Object.freeze({ ...rules, hiddenOutput: true }) };
  }
  const rules = OPENAI_FAMILIES.find((f) => f.match.test(upstreamModel))?.rules ?? OPENAI_UNKNOWN;
  const plain = Object.freeze({ ...rules, hiddenOutput: OPENAI_REASONING.test(upstreamModel) });
  return { plain, thinking: plain };
}
