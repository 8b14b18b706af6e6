/** Shared pieces of the routing unit tests: a parsed config, a team, a deterministic embedder. */
import { configSchema, type GatewayConfig } from '../../src/config/schema.js';
import type { Embedder } from '../../src/embeddings/embedder.js';
import { l2normalise } from '../../src/embeddings/embedder.js';
import type { ChatRequest } from '../../src/core/types.js';
import { normaliseChatRequest } from '../../src/core/normalise.js';
import type { Team } from '../../src/state/state-store.js';
import { baseConfig } from '../helpers/test-gateway.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { seededRandom } from '../../src/util/seeded-random.js';

/** A seeded PRNG, so distribution tests are reproducible. */
export const seeded = seededRandom;

const NOWHERE = { openaiBaseUrl: 'http://127.0.0.1:9/v1', anthropicBaseUrl: 'http://127.0.0.1:9' } as FakeUpstream;

/** The test gateway's config with these overrides, parsed (defaults applied, routes validated). */
export function testConfig(overrides: Record<string, any> = {}, upstream: FakeUpstream = NOWHERE): GatewayConfig {
  return configSchema.parse(baseConfig(upstream, overrides));
}

export function team(id = 'default', allowedModels = ['*']): Team {
  return { id, name: id, allowedModels, budgets: [], policy: {}, createdAt: 0, updatedAt: 0 } as Team;
}

export function request(body: Record<string, unknown>): ChatRequest {
  return normaliseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body });
}

/**
 * A deterministic bag-of-words embedder (hashed word counts, L2-normalised): texts sharing words are similar.
 * Real embeddings rank by meaning; this one ranks by shared words, which is enough to test the routing logic.
 */
export function wordEmbedder(dimension = 256): Embedder & { calls: number } {
  const e = {
    id: 'test:words',
    dimension,
    calls: 0,
    async embed(texts: string[]) {
      e.calls++;
      return texts.map((t) => {
        const v = new Float32Array(dimension);
        for (const w of t.toLowerCase().match(/[a-z]+/g) ?? []) {
          let h = 2166136261;
          for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
          v[(h >>> 0) % dimension]! += 1;
        }
        return l2normalise(v);
      });
    },
    async close() {},
  };
  return e;
}

