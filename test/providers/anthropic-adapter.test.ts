import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { createAnthropicAdapter } from '../../providers/anthropic/index.js';
import { runAdapterContract } from './adapter.contract.js';
import { fromShared } from '../../src/paths.js';

const SSE = fromShared('fixtures/sse/anthropic');
const text = readFileSync(`${SSE}/text_basic_ping.sse`, 'utf8');
const firstEvents = text.split('\n\n').slice(0, 5).join('\n\n') + '\n\n';

runAdapterContract({
  kind: 'anthropic',
  create: createAnthropicAdapter,
  baseUrl: (fake) => fake.anthropicBaseUrl,
  path: '/v1/messages',
  upstreamModel: 'claude-haiku-4-5-20251001',
  checkAuth: (headers, key) => {
    expect(headers['x-api-key']).toBe(key);
    expect(headers['anthropic-version']).toBe('2023-06-01');
    expect(headers.authorization).toBeUndefined();
  },
  errorBody: (status, message) => ({
    type: 'error',
    error: { type: { 401: 'authentication_error', 404: 'not_found_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' }[status] ?? 'invalid_request_error', message },
  }),
  contextLengthMessage: 'prompt is too long: 210000 tokens > 200000 maximum',
  overloadedMidStream: firstEvents + readFileSync(`${SSE}/error_overloaded.sse`, 'utf8'),
  truncated: firstEvents,
});
