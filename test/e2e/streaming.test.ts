import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestGateway, TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

const env = useTestGateway();

describe.each(['gpt-4o-mini', 'claude-haiku-4-5'])('streaming through %s', (model) => {
  it('writes each chunk as it arrives, not at the end', async () => {
    env.upstream.enqueue({ chunkDelayMs: 120 });
    const stream = await env.gw.client().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'one two three four' }],
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) arrivals.push(performance.now());
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    // Spread out like the upstream's pauses (a buffering proxy would deliver them all at once at the end);
    // 0.7 leaves room for timer jitter on a loaded machine.
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(0.7 * 120 * (arrivals.length - 1));
  });

  it('ends the answer at the last event and reuses its upstream connection for the next stream', async () => {
    // The end of the upstream body comes 500 ms after the last event (as when the end of the chunked encoding
    // travels in a later packet): the client must not wait for it, and the connection must not be thrown away
    // for it — every stream would then pay a new (TLS) connection.
    const client = env.gw.client();
    const before = env.upstream.connectionCount;
    for (let i = 0; i < 3; i++) {
      env.upstream.enqueue({ endDelayMs: 500 });
      const started = performance.now();
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `turn ${i}` }], stream: true });
      for await (const _ of stream);
      expect(performance.now() - started).toBeLessThan(350);
      // The drain ends with the body, within its 1 s limit: the connection is back in the pool.
      await new Promise((r) => setTimeout(r, 550));
    }
    expect(env.upstream.connectionCount - before).toBeLessThanOrEqual(1);
  });

  it('closes an upstream connection whose body never ends after the last event, without holding up the client', async () => {
    env.upstream.enqueue({ endDelayMs: 30_000 });
    const started = performance.now();
    const stream = await env.gw.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const _ of stream);
    expect(performance.now() - started).toBeLessThan(500);
    const seen = env.upstream.requests.at(-1)!;
    // Drained for at most 1 s, then given up: the connection is closed instead of held out of the pool.
    await expect(Promise.race([seen.closed, new Promise((r) => setTimeout(() => r('still open'), 3000))])).resolves.toBe('aborted');
  });

  it('a client disconnect aborts the upstream request', async () => {
    env.upstream.enqueue({ chunkDelayMs: 200 });
    const ctl = new AbortController();
    const stream = await env.gw.client().chat.completions.create(
      { model, messages: [{ role: 'user', content: 'a long answer please with many words' }], stream: true },
      { signal: ctl.signal },
    );
    const seen = env.upstream.requests.at(-1)!;
    for await (const _ of stream) {
      ctl.abort();
      break;
    }
    await expect(Promise.race([seen.closed, new Promise((r) => setTimeout(() => r('timeout'), 3000))])).resolves.toBe('aborted');
    await new Promise((r) => setTimeout(r, 50));
    const line = env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.status).toBe(499);
    // Cut short: the output is what we counted (the prompt is Anthropic's own figure from message_start).
    expect(line.tokens.estimated).toBe(true);
  });
});

describe('raw SSE framing', () => {
  it('is data: frames then data: [DONE], with SSE headers', async () => {
    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    for (const f of frames.slice(0, -1)) expect(() => JSON.parse(f.replace(/^data: /, ''))).not.toThrow();
  });
});

describe('SSE keep-alive', () => {
  // A model thinking mid-answer sends the client nothing for minutes (Anthropic's thinking deltas and pings are
  // not relayed); a load balancer with a 60 s idle timeout would cut the stream. The gateway fills the silence
  // with SSE comments, which the SDKs skip.
  it('fills a silent stretch of a stream with comment lines the SDK ignores, and none while frames flow', async () => {
    const gw = await startTestGateway(env.upstream, { server: { sseKeepAliveMs: 150 } });
    try {
      env.upstream.enqueue({ chunkDelayMs: 400 });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }], stream: true }),
      });
      const frames = (await res.text()).split('\n\n').filter(Boolean);
      expect(frames.filter((f) => f === ': keep-alive').length).toBeGreaterThanOrEqual(3);
      expect(frames.at(-1)).toBe('data: [DONE]');
      for (const f of frames) expect(f === ': keep-alive' || f.startsWith('data: ')).toBe(true);

      env.upstream.enqueue({ chunkDelayMs: 400 });
      const stream = await gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('Hello from gpt-4o-mini: one two three');

      // Frames more often than the interval: no comment at all.
      env.upstream.enqueue({ chunkDelayMs: 40 });
      const busy = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five six seven eight' }], stream: true }),
      });
      expect(await busy.text()).not.toContain(': keep-alive');
    } finally {
      await gw.close();
    }
  });
});

describe('a client that stays connected but stops reading', () => {
  // Its socket fills and the relay waits for it to drain; without a limit the request, its upstream connection
  // and its budget hold would stay until the client goes away, however long that takes.
  it('is disconnected after server.clientStallMs and its request settles as a client abort', async () => {
    const budgets = [{ period: 'daily' as const, tokens: 100_000_000 }];
    const gw = await startTestGateway(env.upstream, { server: { clientStallMs: 300 }, teams: { default: { allowedModels: ['*'], budgets } } });
    try {
      const word = 'lorem '.repeat(10_000); // 60 KB per chunk, 400 chunks: far more than socket buffers hold
      const frame = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }] })}\n\n`;
      env.upstream.enqueue({ sse: frame.repeat(400) + 'data: [DONE]\n\n' });
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'write a lot' }], stream: true });
      const socket = connect(new URL(gw.url).port as unknown as number, '127.0.0.1');
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause(); // never reads
      socket.on('error', () => undefined);
      const started = performance.now();
      const logged = () => gw.logs.find((l) => l.msg === 'chat completion');
      while (!logged() && performance.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
      expect(logged()).toMatchObject({ status: 499, code: 'client_closed_request' });
      expect(performance.now() - started).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 200));
      const [status] = await gw.runtime.store.getBudgetStatus([{ scope: 'team:default', budgets }], { teamId: 'default' });
      expect(status.reservedTokens).toBe(0);
      expect(status.spentTokens).toBeGreaterThan(0);
    } finally {
      await gw.close();
    }
  });
});
