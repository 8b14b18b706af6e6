/**
 * A started gateway has built what the first request would otherwise build inside its latency (issue 22: the
 * first request took 240× the steady state, mostly tiktoken's ~270 ms set-up in admission): the encodings of the
 * configured models, and only those (each costs start-up time and memory).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../helpers/test-gateway.js';
import { loadedEncodings } from '../../src/tokens/encoding.js';

const budgets = [{ period: 'daily' as const, tokens: 1_000_000 }];

describe('start-up warms the first request', () => {
  describe('models that all use o200k (gpt-4o-mini, Claude)', () => {
    const env = useTestGateway({ teams: { default: { allowedModels: ['*'], budgets } } });

    it('has o200k loaded before the first request, and not cl100k', async () => {
      expect(env.gw.url).toBeTruthy();
      expect(loadedEncodings()).toEqual(['o200k_base']);
    });
  });

  describe('a configured gpt-4 model', () => {
    const env = useTestGateway({
      teams: { default: { allowedModels: ['*'], budgets } },
      models: { 'legacy-gpt4': { provider: 'openai', upstream: 'gpt-4-0613', price: { input: '30', output: '60' }, contextWindow: 8192 } },
    });

    it('has cl100k loaded too', async () => {
      expect(env.gw.url).toBeTruthy();
      expect(loadedEncodings().sort()).toEqual(['cl100k_base', 'o200k_base']);
    });
  });

  describe('teams with input guards', () => {
    const env = useTestGateway({
      teams: {
        default: { allowedModels: ['*'] },
        pii: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true } } } },
        both: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true }, injection: { enabled: true, action: 'flag' } } } },
      },
    });

    it('are compiled and run once on a sample before the gateway is ready; teams without guards are left alone', async () => {
      // Logged by startGateway between warming and listening, so present only if start-up ran them.
      const line = env.gw.logs.find((l) => l.msg === 'input guards compiled and run once before ready');
      expect(line?.teams?.sort()).toEqual(['both', 'pii']);
    });
  });
});
