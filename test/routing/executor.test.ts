/** The attempt loop over scripted adapters (no HTTP): what it learns about targets from their failures. */
import { describe, expect, it } from 'vitest';
import { createModelCatalog } from '../../src/routing/catalog.js';
import { createExecutor } from '../../src/routing/executor.js';
import { ProviderError, type ProviderAdapter, type Target } from '../../providers/types.js';
import { Abort } from '../../providers/abort.js';
import type { ChatResponse } from '../../src/core/types.js';
import { request, team, testConfig } from './helpers.js';

type Script = (target: Target) => Promise<void>;

/** An adapter whose `complete` runs `script` (which may wait and/or throw), then answers. */
function adapter(name: string, script: Script): ProviderAdapter {
  return {
    config: { name } as ProviderAdapter['config'],
    async complete(_req, target) {
      await script(target);
      const response = { id: 'x', object: 'chat.completion', created: 1, model: target.upstreamModel, choices: [] } as unknown as ChatResponse;
      return { response, usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 } as never };
    },
    stream: async () => Promise.reject(new Error('not used')),
    connections: () => ({ limit: undefined, active: 0, waiting: 0 }),
    close: async () => undefined,
  };
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('latency routing learns from timeouts', () => {
  it('a target that starts timing out is no longer tried first (it waited at least that long)', async () => {
    let openaiTimesOut = false;
    const adapters = new Map<string, ProviderAdapter>([
      ['openai', adapter('openai', async () => {
        if (!openaiTimesOut) return sleep(5);
        await sleep(200);
        throw new ProviderError('timeout', 'The upstream did not answer in time.', { provider: 'openai' });
      })],
      ['anthropic', adapter('anthropic', () => sleep(30))],
    ]);
    const catalog = createModelCatalog(
      testConfig({ routes: { fast: { strategy: 'latency', explore: 0, targets: ['gpt-4o-mini', 'claude-haiku-4-5'] } } }),
    );
    const exec = createExecutor(adapters);
    const run = async () => {
      const attempts: any[] = [];
      const r = await exec.complete(request({ model: 'fast' }), catalog.resolve('fast', team()), new Abort(), attempts);
      return { served: r.target.provider, tried: attempts.map((a) => a.provider) };
    };
    await run(); // openai measured (~5 ms)
    const m = catalog.resolve('fast', team());
    m.health.success(m.targets[1]!, 'closed', 30, false); // anthropic measured (~30 ms)
    expect((await run()).tried).toEqual(['openai']);

    openaiTimesOut = true;
    expect(await run()).toEqual({ served: 'anthropic', tried: ['openai', 'anthropic'] });
    // The timed-out target waited ≥ 200 ms (average now ≈ 60 ms): anthropic (30 ms) is the faster one.
    expect(await run()).toEqual({ served: 'anthropic', tried: ['anthropic'] });
  });
});
