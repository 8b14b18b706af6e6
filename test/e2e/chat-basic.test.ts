import { describe, expect, it } from 'vitest';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { useTestGateway } from '../helpers/test-gateway.js';

const env = useTestGateway();

describe.each(['gpt-4o-mini', 'claude-haiku-4-5'])('chat completions through %s', (model) => {
  it('answers a plain request with a schema-valid completion and gateway headers', async () => {
    const { data, response } = await env.gw
      .client()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hi' }] })
      .withResponse();
    validateResponse(data);
    expect(data.choices[0].message.content).toContain('Say hi');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-gateway-provider')).toBe(model.startsWith('gpt') ? 'openai' : 'anthropic');
    expect(response.headers.get('x-gateway-model')).toBe(model);
    expect(response.headers.get('server-timing')).toMatch(/gateway;dur=/);
  });

  it('streams chunks with the usage chunk when asked', async () => {
    const stream = await env.gw.client().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      validateChunk(chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain('Stream please');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it('hides the usage chunk from clients that did not ask for it', async () => {
    const stream = await env.gw.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices.length).toBeGreaterThan(0);
      expect(chunk.usage ?? null).toBeNull();
    }
  });
});
