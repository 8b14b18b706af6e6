import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { createRequestContext } from '../../src/pipeline/context.js';

const requestModels = async (m: ReturnType<typeof createMetrics>) =>
  new Set([...(await m.render()).matchAll(/^gateway_requests_total\{[^}]*model="([^"]*)"/gm)].map((x) => x[1]));

describe('model label cap', () => {
  it('client-invented pass-through names cannot push configured model names into "other"', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const record = (name: string) => {
      const ctx = createRequestContext(`r-${name}`);
      Object.assign(ctx, { status: 200, model: { name, targets: [] } });
      m.recordRequest(ctx);
    };
    for (let i = 0; i < 300; i++) record(`openai/invented-${i}`);
    record('gpt-4o-mini'); // a configured name (added by a reload, or simply first used late)
    const models = await requestModels(m);
    expect(models.has('gpt-4o-mini')).toBe(true);
    expect(models.has('other')).toBe(true);
    expect(models.size).toBeLessThanOrEqual(202);
  });
});
