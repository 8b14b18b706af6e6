/**
 * A started gateway has built what the first request would otherwise build inside its latency (issue 22: the
 * first request took 240× the steady state, mostly tiktoken's ~270 ms set-up in admission).
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../helpers/test-gateway.js';
import { loadedEncodings } from '../../src/tokens/encoding.js';

describe('start-up warms the first request', () => {
  const env = useTestGateway({ teams: { default: { allowedModels: ['*'], budgets: [{ period: 'daily', tokens: 1_000_000 }] } } });

  it('has both tokenizers loaded before the first request', async () => {
    expect(env.gw.url).toBeTruthy();
    expect(loadedEncodings().sort()).toEqual(['cl100k_base', 'o200k_base']);
  });
});
