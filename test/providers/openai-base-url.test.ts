/**
 * Base URLs of OpenAI-compatible deployments: Azure-style ones carry the API version as a query string
 * (`…/openai/deployments/<name>?api-version=…`), which every request must keep.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIAdapter } from '../../providers/openai/index.js';
import { openAIChat } from '../fakes/fake-openai.js';
import { chatRequest, drain, providerConfig } from './helpers.js';

let server: Server;
let origin: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const answer = openAIChat(JSON.parse(raw));
      if ('json' in answer) {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json));
      } else {
        res.writeHead(answer.status, { 'content-type': 'text/event-stream' });
        res.end(answer.events.join(''));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const req = (stream: boolean) => chatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream });
const target = { provider: 'openai-test', upstreamModel: 'gpt-4o' };

describe('OpenAI adapter base URL', () => {
  it.each([
    [`/openai/deployments/gpt4o?api-version=2024-10-21`, '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21'],
    [`/openai/deployments/gpt4o/?api-version=2024-10-21`, '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21'],
    [`/v1`, '/v1/chat/completions'],
    [`/v1/`, '/v1/chat/completions'],
  ])('%s → %s (plain and streamed)', async (base, expected) => {
    const adapter = createOpenAIAdapter(providerConfig('openai', origin + base));
    try {
      seen.length = 0;
      const done = await adapter.complete(req(false), target, new AbortController().signal);
      expect(done.response.choices[0].message.content).toBeTruthy();
      await drain(await adapter.stream(req(true), target, new AbortController().signal));
      expect(seen).toEqual([expected, expected]);
    } finally {
      await adapter.close();
    }
  });
});
