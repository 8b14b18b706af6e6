/**
 * POST /v1/messages to Anthropic targets, with @anthropic-ai/sdk against fake upstreams replaying recorded
 * transcripts: the client's body goes upstream as sent (thinking signatures, cache_control, every parameter),
 * the upstream's events come back as received, usage and cost are exact including cache reads and writes.
 */
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';
import { anthropicClient, fixture, fixtureJson, sonnetCostMicros, SONNET_PRICE, sseEvents } from './messages-helpers.js';

const MODELS = {
  'claude-sonnet-4-20250514': { provider: 'anthropic', upstream: 'claude-sonnet-4-20250514', price: SONNET_PRICE, contextWindow: 200000 },
  'claude-sonnet-4-5-20250929': { provider: 'anthropic', upstream: 'claude-sonnet-4-5-20250929', price: SONNET_PRICE, contextWindow: 200000 },
};

describe('POST /v1/messages to an Anthropic target', () => {
  const env = useTestGateway({ models: MODELS });
  const lastLog = () => env.gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;

  it('answers messages.create through the SDK, sending the gateway key nowhere and the provider key upstream', async () => {
    const msg = await anthropicClient(env.gw).messages.create({ model: 'claude-sonnet-4-20250514', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(msg.type).toBe('message');
    expect(msg.content[0].type).toBe('text');
    const up = env.upstream.requests.at(-1)!;
    expect(up.path).toBe('/v1/messages');
    expect(up.headers['x-api-key']).toBe('sk-ant-test-secret');
    expect(up.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(up.body).toEqual({ model: 'claude-sonnet-4-20250514', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(lastLog()).toMatchObject({ api: 'messages', status: 200, provider: 'anthropic' });
  });

  it('relays a thinking + tool_use stream event for event, byte for byte, and bills it exactly', async () => {
    const raw = fixture('thinking_signature_tool_use.sse');
    env.upstream.enqueue({ sse: raw });
    const request = fixtureJson('thinking_signature_tool_use.request.json');
    const res = await fetch(`${env.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': (await import('../helpers/test-gateway.js')).TEST_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
      body: JSON.stringify(request),
    });
    expect(res.status).toBe(200);
    const got = sseEvents(await res.text());
    const want = sseEvents(raw);
    expect(got).toEqual(want);
    const up = env.upstream.requests.at(-1)!;
    expect(up.body).toEqual(request);
    expect(up.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    const start = JSON.parse(want.find((e) => e.event === 'message_start')!.data).message.usage;
    const delta = JSON.parse(want.find((e) => e.event === 'message_delta')!.data).usage;
    const usage = { ...start, ...Object.fromEntries(Object.entries(delta).filter(([, v]) => v != null)) };
    expect(lastLog().costMicros).toBe(Math.round(sonnetCostMicros(usage)));
  });

  it('gives the SDK thinking blocks with signatures and tool_use input from messages.stream', async () => {
    env.upstream.enqueue({ sse: fixture('thinking_signature_tool_use.sse') });
    const request = fixtureJson('thinking_signature_tool_use.request.json');
    const stream = anthropicClient(env.gw).messages.stream({ ...request, stream: undefined });
    const final = await stream.finalMessage();
    const thinking = final.content.find((b) => b.type === 'thinking');
    expect(thinking && thinking.type === 'thinking' && thinking.signature.length).toBeGreaterThan(20);
    const tool = final.content.find((b) => b.type === 'tool_use');
    expect(tool && tool.type === 'tool_use' && tool.input).toBeTruthy();
  });

  it('relays redacted_thinking blocks as received', async () => {
    env.upstream.enqueue({ sse: fixture('redacted_thinking.sse') });
    const request = fixtureJson('redacted_thinking.request.json');
    const final = await anthropicClient(env.gw).messages.stream({ ...request, stream: undefined }).finalMessage();
    const redacted = final.content.find((b) => b.type === 'redacted_thinking');
    expect(redacted?.type === 'redacted_thinking' && redacted.data.length).toBeGreaterThan(20);
    expect(env.upstream.requests.at(-1)!.body).toEqual(request);
  });

  it('sends thinking history with its signatures upstream unchanged', async () => {
    env.upstream.enqueue({ sse: fixture('thinking_replay_after_tool_result.sse') });
    const request = fixtureJson('thinking_replay_after_tool_result.request.json');
    const final = await anthropicClient(env.gw).messages.stream({ ...request, stream: undefined }).finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(env.upstream.requests.at(-1)!.body).toEqual(request);
  });

  it('answers a non-streamed prompt-cache read with the native body and bills cache reads and writes exactly', async () => {
    const body = fixtureJson('prompt_cache_read_nonstream.json');
    env.upstream.enqueue({ json: body });
    const request = fixtureJson('prompt_cache_read_nonstream.request.json');
    const msg = await anthropicClient(env.gw).messages.create({ ...request, model: 'claude-sonnet-4-20250514' });
    expect(msg).toEqual(body);
    expect(env.upstream.requests.at(-1)!.body).toEqual({ ...request, model: 'claude-sonnet-4-20250514' });
    expect(lastLog().tokens).toMatchObject({ prompt: 3 + 1111 + 418, completion: 33, cached: 1111 });
    expect(lastLog().costMicros).toBe(Math.round(sonnetCostMicros(body.usage)));
  });

  it('bills a stream the client aborts once, with the prompt the provider reported', async () => {
    const logsBefore = env.gw.logs.filter((l) => l.msg === 'chat completion').length;
    env.upstream.enqueue({ sse: fixture('text_basic_ping.sse'), chunkDelayMs: 150 });
    const stream = anthropicClient(env.gw).messages.stream({ model: 'claude-sonnet-4-20250514', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] });
    stream.on('error', () => undefined);
    stream.on('abort', () => undefined);
    stream.finalMessage().catch(() => undefined);
    await new Promise<void>((resolve) => stream.on('text', () => resolve()));
    stream.abort();
    await env.upstream.requests.at(-1)!.closed;
    await expect.poll(() => env.gw.logs.filter((l) => l.msg === 'chat completion').length, { timeout: 3000 }).toBe(logsBefore + 1);
    await new Promise((r) => setTimeout(r, 200));
    const lines = env.gw.logs.filter((l) => l.msg === 'chat completion').slice(logsBefore);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ api: 'messages', status: 499 });
    expect(lines[0].tokens.prompt).toBe(11);
    expect(lines[0].costMicros).toBeGreaterThanOrEqual(33);
  });

  it('bills a Claude-Code-shaped session (cache_control system prompt, tools, several streamed turns) exactly', async () => {
    const client = anthropicClient(env.gw);
    const system = [{ type: 'text' as const, text: 'You are Claude Code, an interactive CLI tool.', cache_control: { type: 'ephemeral' as const } }];
    const tools = [{ name: 'weather', description: 'Get weather', input_schema: { type: 'object' as const, properties: { location: { type: 'string' } } }, cache_control: { type: 'ephemeral' as const } }];
    const turns = ['cache_control_request_tool_use.sse', 'prompt_cache_code_execution.sse', 'text_basic_ping.sse'];
    const messages: any[] = [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Florence?', cache_control: { type: 'ephemeral' } }] }];
    const logsBefore = env.gw.logs.filter((l) => l.msg === 'chat completion').length;
    let expected = 0;
    for (const [i, file] of turns.entries()) {
      const raw = fixture(file);
      env.upstream.enqueue({ sse: raw });
      const events = sseEvents(raw).map((e) => JSON.parse(e.data));
      const start = events.find((e) => e.type === 'message_start').message.usage;
      const delta = events.find((e) => e.type === 'message_delta').usage;
      expected += Math.round(sonnetCostMicros({ ...start, ...Object.fromEntries(Object.entries(delta).filter(([, v]) => v != null)) }));
      const request = { model: 'claude-sonnet-4-20250514', max_tokens: 4096, system, tools, messages };
      const final = await client.messages.stream(request).finalMessage();
      expect(env.upstream.requests.at(-1)!.body).toEqual({ ...request, stream: true });
      messages.push({ role: 'assistant', content: final.content.filter((b) => b.type === 'text' || b.type === 'tool_use') });
      const call = final.content.find((b) => b.type === 'tool_use');
      messages.push({ role: 'user', content: call?.type === 'tool_use' ? [{ type: 'tool_result', tool_use_id: call.id, content: '40 C' }] : `Thanks (${i})` });
    }
    const lines = env.gw.logs.filter((l) => l.msg === 'chat completion').slice(logsBefore);
    expect(lines.map((l) => l.status)).toEqual([200, 200, 200]);
    expect(lines.reduce((a, l) => a + l.costMicros, 0)).toBe(expected);
  });
});

describe('POST /v1/messages with PII pseudonymisation', () => {
  const env = useTestGateway({ models: MODELS, teams: { default: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' } } } } } });

  it('sends placeholders upstream in the native body, keeps thinking signatures, and restores the values in streamed text', async () => {
    const thinking = fixtureJson('thinking_replay_after_tool_result.request.json').messages[1].content[0];
    const request = {
      model: 'claude-sonnet-4-20250514',
      max_tokens: 300,
      messages: [
        { role: 'user' as const, content: 'hi' },
        { role: 'assistant' as const, content: [thinking, { type: 'text', text: 'Hello!' }] },
        { role: 'user' as const, content: [{ type: 'text' as const, text: 'Write to jane.doe@example.com please' }] },
      ],
    };
    const final = await anthropicClient(env.gw).messages.stream(request as any).finalMessage();
    const up = env.upstream.requests.at(-1)!.body;
    const sent = JSON.stringify(up);
    expect(sent).not.toContain('jane.doe@example.com');
    expect(up.messages[1].content[0]).toEqual(thinking);
    expect(up.messages[2].content[0].text).not.toBe(request.messages[2].content[0].text);
    const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toContain('jane.doe@example.com');
    const whole = await anthropicClient(env.gw).messages.create(request as any);
    expect(JSON.stringify(env.upstream.requests.at(-1)!.body)).not.toContain('jane.doe@example.com');
    expect(whole.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toContain('jane.doe@example.com');
  });

  it('sends text held back for a possible placeholder before the block closes, events otherwise as received', async () => {
    // The last delta ends like the start of a placeholder ("[EMAIL"): held until the answer ends, then released.
    const transcript = fixture('text_basic_ping.sse').replace('"text":"!"', '"text":" [EMAIL"');
    env.upstream.enqueue({ sse: transcript });
    const res = await fetch(`${env.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-20250514', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Mail jane.doe@example.com' }] }),
    });
    const events = sseEvents(await res.text());
    const types = events.map((e) => e.event);
    const text = events.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta.text).join('');
    expect(text).toBe('Hello there [EMAIL');
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta.text);
    expect(deltas).toHaveLength(4); // the three received, the third without what was held, and the release
    expect(deltas.at(-1)).toContain('[EMAIL');
    expect(deltas[2]).not.toContain('[EMAIL');
    // The released text comes as a delta of its block before that block's content_block_stop and the message_delta.
    expect(types.slice(-4)).toEqual(['content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(JSON.parse(events.at(-4)!.data)).toMatchObject({ index: 0, delta: { type: 'text_delta' } });
  });
});
