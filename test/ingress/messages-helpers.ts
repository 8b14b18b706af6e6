import Anthropic from '@anthropic-ai/sdk';
import { readFileSync } from 'node:fs';
import { TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

export const ANTHROPIC_FIXTURES = '/work/shared/fixtures/sse/anthropic';
export const fixture = (name: string) => readFileSync(`${ANTHROPIC_FIXTURES}/${name}`, 'utf8');
export const fixtureJson = (name: string) => JSON.parse(fixture(name));

/** The Anthropic SDK pointed at the gateway, as Claude Code is with ANTHROPIC_BASE_URL. */
export const anthropicClient = (gw: TestGateway, apiKey = TEST_KEY) => new Anthropic({ apiKey, baseURL: gw.url, maxRetries: 0 });

/** The SSE events of a transcript as (event, data) pairs, data exactly as written. */
export function sseEvents(raw: string): { event?: string; data: string }[] {
  const out: { event?: string; data: string }[] = [];
  for (const block of raw.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    if (data.length) out.push({ event, data: data.join('\n') });
  }
  return out;
}

/** Prices of the test catalog's Anthropic model, micro-dollars per token (input 3, output 15, cache read 0.30, write 3.75 $/MTok). */
export const SONNET_PRICE = { input: '3', output: '15', cachedInput: '0.30', cacheWrite: '3.75' };

/** Exact cost in micro-dollars of Anthropic usage at SONNET_PRICE. */
export function sonnetCostMicros(u: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number }): number {
  return u.input_tokens * 3 + u.output_tokens * 15 + (u.cache_read_input_tokens ?? 0) * 0.3 + (u.cache_creation_input_tokens ?? 0) * 3.75;
}
