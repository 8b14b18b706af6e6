import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { createRequestContext } from '../../src/pipeline/context.js';
import { useTestGateway } from '../helpers/test-gateway.js';

describe('the API a request came in through', () => {
  const env = useTestGateway();

  it('is on the request log line (chat completions: api "chat")', async () => {
    await env.gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const line = env.gw.logs.find((l) => l.msg === 'chat completion');
    expect(line?.api).toBe('chat');
  });

  it('is a label of gateway_api_requests_total', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const api of ['chat', 'messages', 'messages'] as const) {
      const ctx = createRequestContext('r');
      Object.assign(ctx, { api, status: 200 });
      m.recordRequest(ctx);
    }
    const text = await m.render();
    expect(text).toContain('gateway_api_requests_total{api="chat",status="200",team="none"} 1');
    expect(text).toContain('gateway_api_requests_total{api="messages",status="200",team="none"} 2');
  });
});
