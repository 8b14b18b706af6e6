/**
 * The cache together with PII pseudonymisation (one user's values never reach another user through a cached
 * answer) and with tool-call answers (`cacheToolCalls`), served as JSON and replayed as a stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: TestGateway;
const TOOLS_KEY = 'gw-tools-key-0123456789abcdefghijklmnopqrstuvwxyz';

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    extra: { cache: { mode: 'on', semantic: false, ttlSeconds: 600 } },
    teams: {
      default: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' } } } },
      tools: { allowedModels: ['*'], policy: { cache: { cacheToolCalls: true } } },
    },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'tools', team: 'tools', key: TOOLS_KEY },
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const settle = () => new Promise((r) => setTimeout(r, 150));

async function streamText(body: Record<string, unknown>, key = TEST_KEY) {
  const { data, response } = await gw.client({ apiKey: key }).chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } } as never).withResponse();
  let text = '';
  const chunks: any[] = [];
  for await (const c of data as unknown as AsyncIterable<any>) {
    validateChunk(c);
    chunks.push(c);
    text += c.choices[0]?.delta?.content ?? '';
  }
  return { text, chunks, cache: response.headers.get('x-gateway-cache') };
}

describe('PII pseudonyms and the cache', () => {
  it("a hit is restored with the asking user's own values, never the first user's", async () => {
    const ask = (email: string) => ({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user' as const, content: `Write a short note to ${email} please` }] });
    const a = await gw.client().chat.completions.create(ask('alice@example.com'));
    expect(a.choices[0].message.content).toContain('alice@example.com');
    await settle();
    const calls = upstream.requests.length;

    const { data, response } = await gw.client().chat.completions.create(ask('bob@example.org')).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    expect(upstream.requests.length).toBe(calls);
    expect(data.choices[0].message.content).toContain('bob@example.org');
    expect(data.choices[0].message.content).not.toContain('alice');

    const s = await streamText(ask('carol@example.net'));
    expect(s.cache).toBe('hit');
    expect(s.text).toContain('carol@example.net');
    expect(s.text).not.toContain('alice');
    expect(s.text).not.toContain('[EMAIL_');
  });
});

describe('tool-call answers (cacheToolCalls: true)', () => {
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const ask = { model: 'gpt-4o-mini', temperature: 0, tools, tool_choice: 'required' as const, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };

  it('are stored, and served whole as JSON and as a stream the SDK reassembles', async () => {
    const first = await gw.client({ apiKey: TOOLS_KEY }).chat.completions.create(ask);
    const call = first.choices[0].message.tool_calls![0] as any;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    await settle();

    const { data, response } = await gw.client({ apiKey: TOOLS_KEY }).chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    validateResponse(data);
    expect(data.choices[0].message.tool_calls).toEqual(first.choices[0].message.tool_calls);

    const s = await streamText(ask, TOOLS_KEY);
    expect(s.cache).toBe('hit');
    const finish = s.chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason;
    expect(finish).toBe('tool_calls');
    const deltas = s.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: call.id, type: 'function', function: { name: 'get_weather' } });
    expect(deltas.map((d: any) => d.function?.arguments ?? '').join('')).toBe(call.function.arguments);
    expect(s.chunks.at(-1).usage).toBeTruthy();
  });

  it('a streamed tool-call answer is stored too, and served as JSON', async () => {
    const body = { ...ask, messages: [{ role: 'user' as const, content: 'Weather in Oslo?' }] };
    const s = await streamText(body, TOOLS_KEY);
    expect(s.cache).toBe('miss');
    await settle();
    const { data, response } = await gw.client({ apiKey: TOOLS_KEY }).chat.completions.create(body).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    validateResponse(data);
    expect(data.choices[0].finish_reason).toBe('tool_calls');
    expect((data.choices[0].message.tool_calls![0] as any).function.name).toBe('get_weather');
  });
});
