import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { OTHER_TEAM_KEY as OTHER_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { fromShared } from '../../src/paths.js';
import { StateUnavailableError } from '../../src/state/errors.js';

let upstream: FakeUpstream | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await upstream?.close();
  gw = upstream = undefined;
});

async function start(overrides: Record<string, any>) {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, overrides);
  return { upstream, gw };
}

const ask = (content = 'hello there') => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content }] });

async function ledger(g: TestGateway) {
  await new Promise((r) => setTimeout(r, 50)); // ledger writes happen after the response
  const rows = await g.runtime.store.queryUsage({ from: 0, to: Date.now() + 3_600_000, granularity: 'day' });
  return rows.reduce(
    (a, r: any) => ({ requests: a.requests + r.requests, prompt: a.prompt + r.promptTokens, completion: a.completion + r.completionTokens, cost: a.cost + r.costMicros }),
    { requests: 0, prompt: 0, completion: 0, cost: 0 },
  );
}

describe('budgets', () => {
  it('refuses with 429 insufficient_quota / budget_exceeded, x-should-retry: false, naming the budget and its reset; the SDK does not retry', async () => {
    const { gw, upstream } = await start({ teams: { default: { allowedModels: ['*'], budgets: [{ period: 'monthly', tokens: 300 }] } } });
    const client = gw.client({ maxRetries: 2 });
    let refused: unknown;
    for (let i = 0; i < 40 && !refused; i++) {
      await client.chat.completions.create({ ...ask(), max_tokens: 40 }).catch((e) => (refused = e));
    }
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const err = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err.headers.get('x-should-retry')).toBe('false');
    expect(err.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(err.message).toMatch(/monthly token budget of team 'default'.*resets at \d{4}-\d{2}-01T00:00:00/);
    const served = upstream.requests.length;
    await expect(client.chat.completions.create({ ...ask(), max_tokens: 40 })).rejects.toThrow(/Budget exceeded/);
    expect(upstream.requests.length).toBe(served); // no retries reached the upstream, nothing served over budget
    const spent = await ledger(gw);
    expect(spent.prompt + spent.completion).toBeLessThanOrEqual(300);
  });

  it('carries remaining-budget headers', async () => {
    const { gw } = await start({ keys: [{ id: 'test', team: 'default', key: TEST_KEY, budgets: [{ period: 'daily', usd: '1.00' }] }] });
    const { response } = await gw.client().chat.completions.create(ask()).withResponse();
    expect(Number(response.headers.get('x-gateway-budget-remaining-usd'))).toBeLessThan(1);
    expect(response.headers.get('x-gateway-budget-reset')).toMatch(/T00:00:00.000Z$/);
  });

  it('holds exactly under 60 concurrent requests', async () => {
    const { gw } = await start({ teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 600 }] } } });
    const client = gw.client();
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => client.chat.completions.create({ ...ask(`question ${i}`), max_tokens: 30 })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(60);
    const spent = await ledger(gw);
    expect(spent.prompt + spent.completion).toBeLessThanOrEqual(600);
    const status = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets: [{ period: 'daily', tokens: 600 }] }], { teamId: 'default' });
    expect(status[0].reservedTokens).toBe(0); // every hold settled
  });

  it('holds exactly for non-streamed requests without max_tokens: they hold the model\'s maximum output', async () => {
    const budgets = [{ period: 'daily' as const, tokens: 1200 }];
    const { gw } = await start({
      server: { defaultMaxOutputTokens: 16 }, // a stream's first hold; a whole answer can be far longer
      models: { 'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000, maxOutputTokens: 200 } },
      teams: { default: { allowedModels: ['*'], budgets } },
    });
    const words = Array.from({ length: 120 }, () => 'hello').join(' '); // the fake echoes it: ~120 output tokens
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => gw.client().chat.completions.create(ask(words))));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    const [status] = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
    expect(status.spentTokens).toBeLessThanOrEqual(1200);
    expect(status.reservedTokens).toBe(0);
  });

  it('charges every request also when a client repeats one x-request-id (the id is for tracing, not for accounting)', async () => {
    const budgets = [{ period: 'daily' as const, tokens: 10_000 }];
    const { gw } = await start({ teams: { default: { allowedModels: ['*'], budgets } } });
    const client = gw.client();
    for (let i = 0; i < 3; i++) {
      const { response } = await client.chat.completions.create({ ...ask(`repeat ${i}`), max_tokens: 20 }, { headers: { 'x-request-id': 'same-id' } }).withResponse();
      expect(response.headers.get('x-request-id')).toBe('same-id');
    }
    const spent = await ledger(gw);
    expect(spent.requests).toBe(3);
    const [status] = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
    expect(status.spentTokens).toBe(spent.prompt + spent.completion);
    expect(status.reservedTokens).toBe(0);
  });

  it('releases a hold whose reserve landed though its reply was lost (the request was refused 503)', async () => {
    const budgets = [{ period: 'daily' as const, tokens: 10_000 }];
    const { gw, upstream } = await start({ teams: { default: { allowedModels: ['*'], budgets } } });
    const store = gw.runtime.store;
    const reserve = store.reserve;
    // The reserve is applied, then the store fails to answer: what a Redis killed after the write looks like.
    store.reserve = async (input) => {
      await reserve(input);
      throw new StateUnavailableError('redis unavailable: Command timed out', { mayHaveApplied: true });
    };
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(ask()),
    });
    expect(res.status).toBe(503);
    expect(upstream.requests).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    const [status] = await store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
    expect(status).toMatchObject({ reservedTokens: 0, spentTokens: 0 });
  });

  it('ends a stream that outgrows its hold with a budget_exceeded frame when the budget refuses to extend', async () => {
    const { gw } = await start({
      server: { defaultMaxOutputTokens: 4 },
      teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 400 }] } },
    });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask('please write many many words in this long answer so it runs past its hold'), stream: true }),
    });
    const frames = (await res.text()).trim().split('\n\n');
    expect(frames.some((f) => f.includes('"content"'))).toBe(true);
    expect(frames.at(-1)).not.toBe('data: [DONE]');
    expect(JSON.parse(frames.at(-1)!.slice(6)).error.code).toBe('budget_exceeded');
  });

  it('settles a client-aborted stream: the hold is released and the counted output is charged', async () => {
    const budgets = [{ period: 'daily' as const, tokens: 100_000 }];
    const { gw, upstream } = await start({ teams: { default: { allowedModels: ['*'], budgets } } });
    upstream.enqueue({ chunkDelayMs: 100 });
    const ctl = new AbortController();
    const stream = await gw.client().chat.completions.create({ ...ask('one two three four five six'), stream: true }, { signal: ctl.signal });
    for await (const _ of stream) {
      ctl.abort();
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
    const [status] = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
    expect(status.reservedTokens).toBe(0);
    expect(status.spentTokens).toBeGreaterThan(0);
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line).toMatchObject({ status: 499, tokens: { estimated: true } });
  });
});

describe('a client that leaves before the answer starts', () => {
  const budgets = [{ period: 'daily' as const, tokens: 1_000_000 }];
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const spentTokens = async (g: TestGateway) => (await g.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' }))[0];

  /** A gateway that served one request already: its first loads the tokenizer (~0.3 s), which would race the client's leaving. */
  async function warmGateway() {
    const env = await start({ teams: { default: { allowedModels: ['*'], budgets } } });
    await env.gw.client().chat.completions.create(ask('warm-up'));
    return env;
  }

  /** Sends `body`, leaves after `ms`, and returns what the request added to the ledger and the budget. */
  async function leaveAfter(g: TestGateway, ms: number, body: Record<string, unknown>) {
    const [ledger0, budget0] = [await ledger(g), await spentTokens(g)];
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), ms);
    await expect(g.client({ maxRetries: 0 }).chat.completions.create(body as never, { signal: ctl.signal })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const [ledger1, budget1] = [await ledger(g), await spentTokens(g)];
    return {
      prompt: ledger1.prompt - ledger0.prompt,
      completion: ledger1.completion - ledger0.completion,
      cost: ledger1.cost - ledger0.cost,
      budgetSpent: budget1.spentTokens - budget0.spentTokens,
      reserved: budget1.reservedTokens,
      line: g.logs.filter((l) => l.msg === 'chat completion').at(-1)!,
    };
  }

  it('is billed the prompt Anthropic reported while the model was still thinking', async () => {
    const { gw, upstream } = await warmGateway();
    upstream.enqueue({
      chunkDelayMs: 100,
      sse: [
        ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5000, cache_read_input_tokens: 2000, output_tokens: 1 } } }),
        ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
        ...Array.from({ length: 30 }, () => ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'let me think. ' } })),
      ].join(''),
    });
    const r = await leaveAfter(gw, 600, { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'think hard' }], stream: true });
    expect(r.line).toMatchObject({ status: 499, code: 'client_closed_request' });
    expect(r).toMatchObject({ prompt: 7000, completion: 0, budgetSpent: 7000, reserved: 0 });
    expect(r.cost).toBeGreaterThan(0);
  });

  it('is billed the estimated prompt when the provider reported nothing yet, streamed or not', async () => {
    const { gw, upstream } = await warmGateway();
    const prompt = 'please consider this carefully. '.repeat(100);
    upstream.enqueue({ firstByteDelayMs: 5000 });
    const streamed = await leaveAfter(gw, 500, { ...ask(prompt), stream: true });
    expect(streamed.line).toMatchObject({ status: 499, tokens: { estimated: true } });
    expect(streamed.prompt).toBeGreaterThan(500);
    expect(streamed).toMatchObject({ completion: 0, budgetSpent: streamed.prompt, reserved: 0 });

    upstream.enqueue({ firstByteDelayMs: 5000 });
    const json = await leaveAfter(gw, 500, ask(prompt));
    expect(json.line).toMatchObject({ status: 499, tokens: { estimated: true } });
    expect(json).toMatchObject({ prompt: streamed.prompt, completion: 0, budgetSpent: streamed.prompt, reserved: 0 });
  });
});

describe('a client that leaves a multi-target route before the answer starts', () => {
  it("is billed the prompt at the price of the target it was waiting on, not the route's dearest", async () => {
    const { gw, upstream } = await start({
      models: { dear: { provider: 'openai', upstream: 'gpt-dear', price: { input: '1000', output: '1000' }, contextWindow: 128000 } },
      routes: { pair: { targets: ['gpt-4o-mini', 'dear'] } },
    });
    await gw.client().chat.completions.create(ask('warm-up')); // loads the tokenizer
    const before = await ledger(gw);
    upstream.enqueue({ firstByteDelayMs: 5000 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 400);
    await expect(gw.client({ maxRetries: 0 }).chat.completions.create({ ...ask('a prompt of some length'), model: 'pair' }, { signal: ctl.signal })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const after = await ledger(gw);
    const prompt = after.prompt - before.prompt;
    expect(prompt).toBeGreaterThan(0);
    // gpt-4o-mini costs $0.15 per 1M input tokens: well under a micro-dollar per token; 'dear' would be $1000.
    expect(after.cost - before.cost).toBeLessThan(prompt);
    expect(gw.logs.filter((l) => l.msg === 'chat completion').at(-1)).toMatchObject({ status: 499, provider: 'openai' });
  });
});

describe('soft threshold', () => {
  it('logs and calls the webhook once per period when spend crosses it', async () => {
    const calls: any[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        calls.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/budget`;
    try {
      const { gw } = await start({ teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 1000, softThreshold: 0.1, webhookUrl }] } } });
      for (let i = 0; i < 12; i++) await gw.client().chat.completions.create({ ...ask(), max_tokens: 10 });
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ event: 'budget.soft_threshold', scope: 'team:default', period: 'daily', kind: 'tokens', threshold: 0.1 });
      expect(gw.logs.filter((l) => l.msg === 'budget soft threshold crossed')).toHaveLength(1);
    } finally {
      hook.close();
    }
  });
});

describe('rate limits', () => {
  it('allows rpm requests per minute per key, then 429 rate_limit_exceeded with retry-after and x-ratelimit headers', async () => {
    const { gw } = await start({ keys: [{ id: 'test', team: 'default', key: TEST_KEY, rateLimits: { rpm: 3, tpm: 100_000 } }] });
    const client = gw.client();
    const first = await client.chat.completions.create(ask()).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s|m\d+s)$/);
    await client.chat.completions.create(ask());
    await client.chat.completions.create(ask());
    const err = await client.chat.completions.create(ask()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error.code).toBe('rate_limit_exceeded');
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });
});

describe('a request larger than the TPM limit', () => {
  it('is refused as too large, without a retry-after the SDK would wait for in vain, and uses up nothing', async () => {
    const { gw, upstream } = await start({ keys: [{ id: 'test', team: 'default', key: TEST_KEY, rateLimits: { rpm: 10, tpm: 1000 } }] });
    const err = await gw.client({ maxRetries: 2 }).chat.completions.create({ ...ask(), max_tokens: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error.code).toBe('rate_limit_exceeded');
    expect(err.message).toMatch(/too large.*1000 tokens per minute/i);
    expect(err.headers.get('x-should-retry')).toBe('false');
    expect(err.headers.get('retry-after')).toBeNull();
    expect(upstream.requests).toHaveLength(0);
    const ok = await gw.client().chat.completions.create({ ...ask(), max_tokens: 50 }).withResponse();
    expect(ok.response.headers.get('x-ratelimit-remaining-requests')).toBe('9'); // the refused one was not counted
  });
});

describe('rate limits of a key and its team', () => {
  it('a request the team limit refuses does not use up the key\'s own limit', async () => {
    const { gw } = await start({
      teams: { default: { allowedModels: ['*'], rateLimits: { rpm: 1 } } },
      keys: [
        { id: 'limited', team: 'default', key: TEST_KEY, rateLimits: { rpm: 1 } },
        { id: 'free', team: 'default', key: OTHER_KEY },
      ],
    });
    await gw.client({ apiKey: OTHER_KEY }).chat.completions.create(ask()); // takes the team's one request
    const err = await gw.client().chat.completions.create(ask()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toMatch(/your team/);
    await new Promise((r) => setTimeout(r, 50));
    // The key's window is still empty: its one request per minute is there for when the team has room again.
    const key = await gw.runtime.store.rateLimit({ scope: 'key:limited', rpm: 1, tokens: 0 });
    expect(key).toMatchObject({ allowed: true, requests: { remaining: 0 } });
  });
});

describe('usage recorded equals the provider figures', () => {
  const dir = fromShared('fixtures/sse');
  const cases = [
    ...readdirSync(`${dir}/openai`).filter((f) => f.endsWith('.sse')).map((f) => ['gpt-4o-mini', `${dir}/openai/${f}`]),
    ...readdirSync(`${dir}/anthropic`).filter((f) => f.endsWith('.sse') && !f.includes('error')).map((f) => ['claude-haiku-4-5', `${dir}/anthropic/${f}`]),
  ];
  it.each(cases)('%s replaying %s', async (model, file) => {
    const { gw, upstream } = await start({});
    const raw = readFileSync(file, 'utf8');
    upstream.enqueue({ sse: raw });
    const stream = await gw.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'replay' }], stream: true, stream_options: { include_usage: true } });
    let usage: any;
    for await (const c of stream) if (c.usage) usage = c.usage;
    const spent = await ledger(gw);
    expect(spent.requests).toBe(1);
    expect({ prompt: spent.prompt, completion: spent.completion }).toEqual({ prompt: usage.prompt_tokens, completion: usage.completion_tokens });
    if (model.startsWith('gpt')) {
      const last = raw.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6))).at(-1);
      expect(spent.prompt).toBe(last.usage.prompt_tokens);
      expect(spent.completion).toBe(last.usage.completion_tokens);
    }
    expect(spent.cost).toBeGreaterThan(0);
  });
});
