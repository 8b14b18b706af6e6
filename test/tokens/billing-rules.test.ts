/**
 * The per-provider rules behind a budget hold's input bound (src/tokens/billing-rules.ts, input-bound.ts), checked
 * against the providers' published formulas and against what Anthropic really billed on the recorded transcripts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromShared } from '../../src/paths.js';
import { billingRules } from '../../src/tokens/billing-rules.js';
import { countTextTokens } from '../../src/tokens/encoding.js';
import { inputProfile, inputTokenBound, type InputProfile } from '../../src/tokens/input-bound.js';
import { countPromptTokens } from '../../src/tokens/prompt-tokens.js';
import { decodeMessagesRequest } from '../../src/ingress/messages/decode.js';
import { decodeResponsesRequest } from '../../src/ingress/responses/decode.js';
import type { ChatRequest } from '../../src/core/types.js';

const profile = (p: Partial<InputProfile>): InputProfile => ({ textTokens: 0, images: [], unbounded: [], hasTools: false, ...p });

describe('image rules, as the providers publish them', () => {
  const img = (kind: 'openai' | 'anthropic', model: string, w: number, h: number, detail?: string) => billingRules(kind, model).image(detail, { width: w, height: h });

  it('OpenAI tile models: base + per tile after fitting into 2048 and scaling the short side to 768', () => {
    expect(img('openai', 'gpt-4o', 1024, 1024)).toBe(85 + 170 * 4);
    expect(img('openai', 'gpt-4o', 2048, 4096)).toBe(85 + 170 * 6); // → 1024×2048 → 768×1536: 2×3 tiles
    expect(img('openai', 'gpt-4o-mini', 1024, 1024)).toBe(2833 + 5667 * 4);
    expect(img('openai', 'gpt-4o-mini', 1024, 1024, 'low')).toBe(2833);
    expect(img('openai', 'gpt-5', 1024, 1024)).toBe(70 + 140 * 4);
    expect(img('openai', 'o3', 512, 512)).toBe(75 + 150);
  });

  it('OpenAI patch models: 32-px patches capped at 1536, times the multiplier', () => {
    expect(img('openai', 'gpt-4.1-mini', 1024, 1024)).toBe(Math.ceil(1024 * 1.62));
    expect(img('openai', 'gpt-4.1-nano', 8000, 8000)).toBe(Math.ceil(1536 * 2.46));
    expect(img('openai', 'o4-mini', 100, 100)).toBe(Math.ceil(16 * 1.72));
  });

  it('Anthropic: w × h / 750, scaled down past 1568 px or ~1,600 tokens', () => {
    expect(img('anthropic', 'claude-sonnet-4-5', 1000, 1000)).toBe(1334);
    expect(img('anthropic', 'claude-sonnet-4-5', 8000, 8000)).toBe(1600);
    expect(billingRules('anthropic', 'claude-haiku-4-5').image(undefined, undefined)).toBe(1600);
  });

  it('an unreadable size (a remote URL) holds the largest image the rule allows', () => {
    expect(billingRules('openai', 'gpt-4o').image('high', undefined)).toBe(85 + 170 * 8);
    expect(billingRules('openai', 'gpt-4o-mini').image('auto', undefined)).toBe(2833 + 5667 * 8);
    // A model behind a compatible server: the dearest OpenAI rule, and the foreign tokenizer margin.
    const unknown = billingRules('openai', 'Qwen2.5-VL-72B');
    expect(unknown.image(undefined, undefined)).toBe(2833 + 5667 * 8);
    expect(unknown.textMargin).toBeGreaterThan(1.3);
  });
});

describe('input bound', () => {
  it('files, audio, provider-run tools and unknown parts: the context window', () => {
    for (const unbounded of [['file'], ['input_audio'], ["tool 'web_search_20250305'"], ['video']]) {
      expect(inputTokenBound(profile({ textTokens: 10, unbounded }), { kind: 'openai', upstreamModel: 'gpt-4o', contextWindow: 128000 })).toBe(128000);
    }
  });

  it('is capped at the context window, and an unlisted model assumes a large one', () => {
    expect(inputTokenBound(profile({ textTokens: 500_000 }), { kind: 'openai', upstreamModel: 'gpt-4o', contextWindow: 128000 })).toBe(128000);
    expect(inputTokenBound(profile({ unbounded: ['file'] }), { kind: 'openai', upstreamModel: 'x' })).toBe(2_000_000);
  });

  it('Anthropic adds its tool-use system prompt per model', () => {
    const t = (model: string) => inputTokenBound(profile({ textTokens: 100, hasTools: true }), { kind: 'anthropic', upstreamModel: model, contextWindow: 200000 }) - inputTokenBound(profile({ textTokens: 100 }), { kind: 'anthropic', upstreamModel: model, contextWindow: 200000 });
    expect(t('claude-sonnet-4-5')).toBe(346);
    expect(t('claude-3-opus-20240229')).toBe(530);
    expect(t('claude-3-5-haiku-latest')).toBe(340);
    expect(t('claude-next-generation')).toBe(530); // unknown: the largest published
  });

  it('reasoning models bill output the stream never shows', () => {
    expect(billingRules('openai', 'o4-mini').hiddenOutput).toBe(true);
    expect(billingRules('openai', 'gpt-5-mini').hiddenOutput).toBe(true);
    expect(billingRules('openai', 'gpt-4o').hiddenOutput).toBe(false);
    expect(billingRules('anthropic', 'claude-sonnet-4-5', { thinking: { type: 'enabled', budget_tokens: 2000 } }).hiddenOutput).toBe(true);
    expect(billingRules('anthropic', 'claude-sonnet-4-5').hiddenOutput).toBe(false);
  });
});

describe("Claude's tokenizer margin holds on every recorded transcript", () => {
  const dir = fromShared('fixtures/sse/anthropic');
  const files = readdirSync(dir).filter((f) => f.endsWith('.request.json') && !f.includes('nonstream'));

  /** The request's text as the gateway counts it (strings of system, messages and tool schemas; 3 per message + 3). */
  function textTokens(req: any): number {
    let n = 3 + 3 * req.messages.length;
    const walk = (v: unknown, key = ''): void => {
      if (typeof v === 'string') {
        if (!['role', 'type', 'model', 'signature', 'data', 'media_type', 'id', 'tool_use_id'].includes(key)) n += countTextTokens(v, 'o200k_base');
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'input_schema' || k === 'input') n += countTextTokens(JSON.stringify(x), 'o200k_base');
          else walk(x, k);
        }
      }
    };
    walk({ system: req.system, messages: req.messages, tools: req.tools });
    return n;
  }

  it.each(files)('%s', (file) => {
    const req = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
    const sse = readFileSync(`${dir}/${file.replace('.request.json', '.sse')}`, 'utf8');
    const usages = [...sse.matchAll(/"usage":\s*\{"input_tokens":(\d+),"cache_creation_input_tokens":(\d+),"cache_read_input_tokens":(\d+)/g)];
    const billed = Math.max(...usages.map((m) => Number(m[1]) + Number(m[2]) + Number(m[3])));
    const tools = (req.tools ?? []) as { type?: string }[];
    const serverTools = tools.filter((t) => t.type !== undefined && t.type !== 'custom').map((t) => `tool '${t.type}'`);
    const bound = inputTokenBound(
      profile({ textTokens: textTokens(req), hasTools: tools.length > 0, unbounded: serverTools }),
      { kind: 'anthropic', upstreamModel: req.model, contextWindow: 200000 },
      req,
    );
    expect(bound).toBeGreaterThanOrEqual(billed);
  });
});

describe('native bodies (Messages, Responses ingress) are bounded too', () => {
  const bound = (req: ChatRequest, kind: 'openai' | 'anthropic' = 'anthropic') =>
    inputTokenBound(inputProfile(req, countPromptTokens(req, 'claude-sonnet-4-5')), { kind, upstreamModel: kind === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4.1', contextWindow: 200000 }, req.passthrough?.body);

  it('a PDF document block or a server tool in a Messages body: the context window', () => {
    const doc = decodeMessagesRequest({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } }, { type: 'text', text: 'Summarise' }] }] }, {});
    expect(bound(doc)).toBe(200000);
    const search = decodeMessagesRequest({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'news?' }], tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] }, {});
    expect(bound(search)).toBe(200000);
  });

  it('replayed thinking counts its text; redacted thinking its length', () => {
    const plain = decodeMessagesRequest({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, {});
    const thought = 'Let me think about this carefully, step by step, before answering. '.repeat(20);
    const replay = decodeMessagesRequest({
      model: 'claude-sonnet-4-5', max_tokens: 100, thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: thought, signature: 'sig' }, { type: 'redacted_thinking', data: 'x'.repeat(500) }, { type: 'text', text: 'Hello' }] },
        { role: 'user', content: 'and?' },
      ],
    }, {});
    expect(bound(replay) - bound(plain)).toBeGreaterThan(countTextTokens(thought, 'o200k_base') + 500);
    expect(bound(replay)).toBeLessThan(200000);
  });

  it('a Responses body with previous_response_id or a hosted tool: the context window', () => {
    expect(bound(decodeResponsesRequest({ model: 'gpt-4.1', input: 'and then?', previous_response_id: 'resp_123' }), 'openai')).toBe(200000);
    expect(bound(decodeResponsesRequest({ model: 'gpt-4.1', input: 'news?', tools: [{ type: 'web_search' }] }), 'openai')).toBe(200000);
    expect(bound(decodeResponsesRequest({ model: 'gpt-4.1', input: 'hi', include: ['reasoning.encrypted_content'] }), 'openai')).toBeLessThan(100);
  });
});
