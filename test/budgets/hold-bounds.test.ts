/**
 * A budget hold is an upper bound of what the provider can bill, for every kind of input (docs/budgets.md): files,
 * audio, images of any size at each model's own image price. What a provider still bills above the hold is charged
 * as debt (logged, counted) and the scope is refused until it is covered; a refusal says what happened, with the
 * figures and the remedy; a stream cut short is billed what the client received.
 */
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { countTextTokens } from '../../src/tokens/encoding.js';

let upstream: FakeUpstream | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await upstream?.close();
  gw = upstream = undefined;
});

const GPT4O = { provider: 'openai', upstream: 'gpt-4o', price: { input: '2.50', output: '10.00' }, contextWindow: 128000, maxOutputTokens: 16384 };
const MINI = { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000, maxOutputTokens: 16384 };

async function start(budgets: object[], models: Record<string, object> = { 'gpt-4o': GPT4O }, server: object = {}) {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, { server, models, teams: { default: { allowedModels: ['*'], budgets } } });
  return { upstream, gw };
}

/** The team's budget status (config budgets → the store's shape: USD in micro-dollars). */
async function spent(g: TestGateway, budgets: any[]) {
  await new Promise((r) => setTimeout(r, 100));
  const shaped = budgets.map((b) => ({ period: b.period, ...(b.usd ? { usdMicros: Math.round(Number(b.usd) * 1e6) } : {}), ...(b.tokens ? { tokens: b.tokens } : {}) }));
  const [s] = await g.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets: shaped }], { teamId: 'default' });
  return s!;
}

/** A real PNG of any size: zero rows deflate to a few KB even for 4096 × 4096. */
function png(width: number, height: number): string {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const raw = Buffer.alloc((width + 1) * height);
  const file = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return `data:image/png;base64,${file.toString('base64')}`;
}

const pdf = `data:application/pdf;base64,${Buffer.alloc(3 * 1024 * 1024, 7).toString('base64')}`; // 4 MB of base64

describe('budget holds bound every kind of input', () => {
  it('a 4 MB PDF part: 30 concurrent requests on a $0.0088 budget are refused before any call, with the reason', async () => {
    const budgets = [{ period: 'daily', usd: '0.0088' }];
    const { gw, upstream } = await start(budgets);
    const body = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarise this' }, { type: 'file', file: { filename: 'a.pdf', file_data: pdf } }] }] };
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => gw.client().chat.completions.create(body as never)));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof OpenAI.RateLimitError)).toBe(true);
    expect(upstream.requests.length).toBe(0);
    const err = (results[0] as PromiseRejectedResult).reason as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err.error).toMatchObject({ code: 'budget_exceeded' });
    expect(err.headers.get('x-should-retry')).toBe('false');
    // 128,000 input tokens (the context window) × $2.50/M + 100 × $10/M = $0.321
    expect(err.message).toMatch(/may cost up to \$0\.321.*up to 128000 input tokens for a file in the prompt.*\$0\.0088 is left/);
    expect((await spent(gw, budgets)).spentMicros).toBe(0);
  });

  it('an input_audio part is bounded by the context window too', async () => {
    const budgets = [{ period: 'daily', usd: '0.01' }];
    const { gw, upstream } = await start(budgets);
    const body = { model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: Buffer.alloc(200_000).toString('base64'), format: 'wav' } }] }] };
    await expect(gw.client().chat.completions.create(body as never)).rejects.toThrow(/audio in the prompt/);
    expect(upstream.requests.length).toBe(0);
  });

  it('with a budget that fits the bound, a file request is served and its bill stays within the hold', async () => {
    const budgets = [{ period: 'daily', usd: '1.00' }];
    const { gw, upstream } = await start(budgets);
    upstream.enqueue({ json: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 1760, completion_tokens: 2, total_tokens: 1762 } } });
    const body = { model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: pdf } }] }] };
    await gw.client().chat.completions.create(body as never);
    const s = await spent(gw, budgets);
    expect(s.spentMicros).toBe(Math.ceil(1760 * 2.5 + 2 * 10)); // 4,420 µ$: the provider's figures
    expect(s.reservedMicros).toBe(0);
    expect(gw.logs.some((l) => /budget overrun/.test(l.msg))).toBe(false);
  });

  it("a large inline image on gpt-4o-mini holds gpt-4o-mini's own image price: 200 concurrent stay within the budget", async () => {
    // gpt-4o-mini bills an image at 2,833 + 5,667 per tile: 4096 × 4096 → 768 × 768 → 4 tiles → 25,501 tokens,
    // where gpt-4o's formula (the estimate) would say 765.
    const imageTokens = 2833 + 5667 * 4;
    const budgets = [{ period: 'daily', usd: '0.05' }];
    const { gw, upstream } = await start(budgets, { 'gpt-4o-mini': MINI });
    const answer = { json: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'a square', refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: imageTokens + 12, completion_tokens: 3, total_tokens: imageTokens + 15 } } };
    upstream.enqueue(...Array.from({ length: 200 }, () => answer));
    const body = { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: png(4096, 4096) } }] }] };
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => gw.client().chat.completions.create(body as never)));
    const served = results.filter((r) => r.status === 'fulfilled').length;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(200);
    const s = await spent(gw, budgets);
    expect(s.spentMicros).toBeLessThanOrEqual(50_000);
    expect(s.reservedMicros).toBe(0);
    expect(gw.logs.some((l) => /budget overrun/.test(l.msg))).toBe(false);
  });

  it('Anthropic: the tool-use system prompt and the tokenizer margin are held', async () => {
    const budgets = [{ period: 'daily', tokens: 1_000_000 }];
    let { gw, upstream } = await start(budgets, {});
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    await gw.client().chat.completions.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools } as never);
    expect(upstream.requests.length).toBe(1);
    const line = gw.logs.find((l) => l.msg === 'chat completion')!;
    expect(line.status).toBe(200);
    // The hold is logged nowhere else: read it back from a refused twin on a budget just below it.
    await gw.close();
    await upstream.close();
    const text = 'Weather in Paris?';
    const small = [{ period: 'daily', tokens: 346 + 50 }]; // the tool prompt alone + the output: no room for the prompt
    ({ gw } = await start(small, {}));
    await expect(gw.client().chat.completions.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: text }], tools } as never)).rejects.toThrow(/may use up to \d+ tokens/);
    expect(countTextTokens(text, 'o200k_base')).toBeLessThan(10);
  });
});

describe('what a provider bills above the hold', () => {
  it('is charged, logged and counted, and the scope is refused until it is covered', async () => {
    const budgets = [{ period: 'daily', usd: '0.01' }];
    const { gw, upstream } = await start(budgets);
    // The provider reports far more prompt than the request could hold (a tokenizer the gateway does not know).
    upstream.enqueue({ json: { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 5000, completion_tokens: 1, total_tokens: 5001 } } });
    await gw.client().chat.completions.create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const s = await spent(gw, budgets);
    expect(s.spentMicros).toBe(5000 * 2.5 + 10); // 12,510 µ$: all of it, above the $0.01 limit
    const overrun = gw.logs.find((l) => /budget overrun/.test(l.msg))!;
    expect(overrun).toMatchObject({ level: 40, team: 'default', billedUsd: '0.012510', excessUsd: expect.stringMatching(/^0\.01/) });
    const metrics = await gw.runtime.metrics!.render();
    expect(metrics).toMatch(/gateway_budget_overruns_total\{team="default"\} 1/);
    const served = upstream.requests.length;
    await expect(gw.client().chat.completions.create({ model: 'gpt-4o', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(
      /daily USD budget of team 'default' \(\$0\.0100\) is used up \(\$0\.0125\d* spent\)/,
    );
    expect(upstream.requests.length).toBe(served);
  });
});

describe('honest refusals', () => {
  it("money left but not enough for the request's worst case: the figures and the remedy", async () => {
    const budgets = [{ period: 'daily', usd: '0.002' }];
    const { gw, upstream } = await start(budgets);
    const err = await gw.client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    // 16,384 × $10/M = $0.1638 (+ the prompt): the model's maximum output, as the request sets no max_tokens.
    expect(err.message).toMatch(/this request may cost up to \$0\.16\d+ \(up to \d+ input tokens, 16384 output tokens, the model's maximum, as the request sets no max_tokens\); \$0\.0020 is left of the daily USD budget of team 'default' \(\$0\.0020\); set max_tokens/);
    expect(err.message).not.toMatch(/used up/);
    const err2 = await gw.client().chat.completions.create({ model: 'gpt-4o', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err2.message).toMatch(/may cost up to \$0\.01\d+ \(up to \d+ input tokens, max_tokens 1000\); \$0\.0020 is left.*lower max_tokens/);
    expect(err2.headers.get('x-should-retry')).toBe('false');
    // And a request that fits is served.
    await gw.client().chat.completions.create({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests.length).toBe(1);
  });

  it("a rate-limit refusal gives the window's figures", async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, { teams: { default: { allowedModels: ['*'], rateLimits: { rpm: 2 } } } });
    const c = gw.client();
    await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a' }] });
    await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'b' }] });
    await expect(c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'c' }] })).rejects.toThrow(
      /Rate limit reached for your team: 2 of 2 requests per minute used\. Please try again in \d+s\./,
    );
  });

  it('a model refused by the key\'s own list says so, not "your team"', async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, { keys: [{ id: 'test', team: 'default', key: TEST_KEY }] });
    await gw.runtime.store.updateKey('test', { allowedModels: ['gpt-4o-mini'] });
    const err = await gw.client().chat.completions.create({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'a' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.message).toMatch(/This API key is not allowed to use the model 'claude-haiku-4-5'/);
    expect(err.message).not.toMatch(/Your team is not allowed/);
  });
});

describe('billing matches delivery', () => {
  it('a stream cut because its extension was refused is billed the output the client received, not one chunk more', async () => {
    const budgets = [{ period: 'daily', tokens: 400 }];
    const { gw } = await start(budgets, {}, { defaultMaxOutputTokens: 4 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'please write many many words in this long answer so it runs past its hold' }] }),
    });
    const frames = (await res.text()).trim().split('\n\n').map((f) => JSON.parse(f.slice(6)));
    expect(frames.at(-1).error.code).toBe('budget_exceeded');
    const received = frames.map((f) => f.choices?.[0]?.delta?.content ?? '').join('');
    await new Promise((r) => setTimeout(r, 100));
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.tokens.completion).toBe(countTextTokens(received, 'o200k_base'));
  });
});
