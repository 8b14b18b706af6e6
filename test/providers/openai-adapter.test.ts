import { readFileSync } from 'node:fs';
import { createOpenAIAdapter } from '../../providers/openai/index.js';
import { runAdapterContract } from './adapter.contract.js';
import { expect } from 'vitest';
import { fromShared } from '../../src/paths.js';

const SSE = fromShared('fixtures/sse/openai');
const text = readFileSync(`${SSE}/text_basic_usage.sse`, 'utf8');
const firstEvents = text.split('\n\n').slice(0, 4).join('\n\n') + '\n\n';

runAdapterContract({
  kind: 'openai',
  create: createOpenAIAdapter,
  baseUrl: (fake) => fake.openaiBaseUrl,
  path: '/v1/chat/completions',
  upstreamModel: 'gpt-4o-mini-2024-07-18',
  checkAuth: (headers, key) => expect(headers.authorization).toBe(`Bearer ${key}`),
  errorBody: (status, message, code) => ({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: code ?? null } }),
  contextLengthMessage: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
  overloadedMidStream: `${firstEvents}data: {"error":{"message":"The server is overloaded","type":"overloaded_error","param":null,"code":"overloaded"}}\n\n`,
  truncated: firstEvents,
});
