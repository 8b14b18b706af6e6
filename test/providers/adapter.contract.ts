/**
 * The adapter contract: one suite every ProviderAdapter passes against the fake upstream, whatever its wire
 * format. A kind supplies only what differs (how to build it, its error bodies and stream transcripts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { validateChunk, validateResponse } from '../fakes/openai-schemas.js';
import { ProviderError, type ProviderAdapter, type ProviderConfig, type ProviderErrorClass, type ProviderTimeouts } from '../../providers/types.js';
import { accumulate, chatRequest, drain, providerConfig } from './helpers.js';

/** What one provider kind brings to the shared suite. */
export interface AdapterContractSpec {
  kind: 'openai' | 'anthropic';
  create(config: ProviderConfig): ProviderAdapter;
  baseUrl(fake: FakeUpstream): string;
  /** Path the adapter must call on the fake. */
  path: string;
  upstreamModel: string;
  /** Asserts the credentials the adapter sent. */
  checkAuth(headers: Record<string, string | string[] | undefined>, apiKey: string): void;
  /** An error body in the provider's format. */
  errorBody(status: number, message: string, code?: string): unknown;
  contextLengthMessage: string;
  /** A 200 SSE transcript that sends some text and then an overloaded error. */
  overloadedMidStream: string;
  /** A transcript with content but without its terminator (`[DONE]` / `message_stop`). */
  truncated: string;
}

const SECRET = 'sk-ant-api03-SECRETSECRETSECRET';

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
  },
};
const timeTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

export function runAdapterContract(spec: AdapterContractSpec): void {
  describe(`${spec.kind} adapter contract`, () => {
    let fake: FakeUpstream;
    let adapter: ProviderAdapter;
    const target = { provider: `${spec.kind}-test`, upstreamModel: spec.upstreamModel };
    const signal = () => new AbortController().signal;
    const body = (extra: Record<string, unknown> = {}) =>
      chatRequest({ model: 'public-model', messages: [{ role: 'user', content: 'ping pong' }], ...extra });
    const withAdapter = async (timeouts: Partial<ProviderTimeouts>, fn: (a: ProviderAdapter) => Promise<void>) => {
      const a = spec.create(providerConfig(spec.kind, spec.baseUrl(fake), timeouts));
      try {
        await fn(a);
      } finally {
        await a.close();
      }
    };
    const rejection = async (p: Promise<unknown>): Promise<ProviderError> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      return err as ProviderError;
    };

    beforeAll(async () => {
      fake = await startFakeUpstream();
      adapter = spec.create(providerConfig(spec.kind, spec.baseUrl(fake)));
    });
    afterAll(async () => {
      await adapter.close();
      await fake.close();
    });
    beforeEach(() => fake.reset());

    it('completes a plain request: schema-valid response, text, stop, usage, upstream model and credentials', async () => {
      const { response, usage } = await adapter.complete(body(), target, signal());
      validateResponse(response);
      expect(response.choices).toHaveLength(1);
      expect(response.choices[0].message.content).toBe(`Hello from ${spec.upstreamModel}: ping pong`);
      expect(response.choices[0].message.refusal).toBeNull();
      expect(response.choices[0].finish_reason).toBe('stop');
      expect(response.id).toMatch(/^chatcmpl-/);
      expect(usage.promptTokens).toBeGreaterThan(0);
      expect(usage.completionTokens).toBe(5);
      expect(response.usage).toMatchObject({ prompt_tokens: usage.promptTokens, completion_tokens: 5, total_tokens: usage.promptTokens + 5 });
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0].path).toBe(spec.path);
      expect(fake.requests[0].body.model).toBe(spec.upstreamModel);
      spec.checkAuth(fake.requests[0].headers, providerConfig(spec.kind, '').apiKey);
    });

    it('streams: schema-valid chunks, delivered as the upstream sends them, then a usage-only chunk', async () => {
      fake.enqueue({ chunkDelayMs: 60 });
      const stream = await adapter.stream(body({ stream: true }), target, signal());
      const arrivals: number[] = [];
      const chunks = [];
      for await (const c of stream) {
        chunks.push(c);
        if (c.choices[0]?.delta.content) arrivals.push(performance.now());
        validateChunk(c);
      }
      const acc = accumulate(chunks);
      expect(acc.content).toBe(`Hello from ${spec.upstreamModel}: ping pong`);
      expect(acc.finish).toEqual(['stop']);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      // 5 text events 60 ms apart: had the adapter buffered, they would arrive together at the end.
      expect(arrivals).toHaveLength(5);
      expect(arrivals[4] - arrivals[0]).toBeGreaterThan(150);
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage?.completion_tokens).toBe(5);
      expect(stream.usage()).toMatchObject({ completionTokens: 5, promptTokens: last.usage?.prompt_tokens });
      expect(chunks.filter((c) => c.usage)).toHaveLength(1);
    });

    it('returns one forced tool call with JSON arguments (plain and streamed)', async () => {
      const req = { tools: [weatherTool, timeTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } };
      const { response } = await adapter.complete(body(req), target, signal());
      validateResponse(response);
      const calls = response.choices[0].message.tool_calls ?? [];
      expect(response.choices[0].finish_reason).toBe('tool_calls');
      expect(calls).toHaveLength(1);
      expect(calls[0].type).toBe('function');
      const fn = (calls[0] as { function: { name: string; arguments: string } }).function;
      expect(fn.name).toBe('get_weather');
      expect(JSON.parse(fn.arguments)).toEqual({ city: 'ping pong', days: 1 });

      const chunks = await drain(await adapter.stream(body({ ...req, stream: true }), target, signal()));
      chunks.forEach(validateChunk);
      const acc = accumulate(chunks);
      expect(acc.calls).toHaveLength(1);
      expect(acc.calls[0].name).toBe('get_weather');
      expect(acc.calls[0].id).toBeTruthy();
      expect(JSON.parse(acc.calls[0].arguments)).toEqual({ city: 'ping pong', days: 1 });
      expect(acc.finish).toEqual(['tool_calls']);
      // arguments really arrive in fragments, each tagged with the call's index
      expect(chunks.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments).length).toBeGreaterThan(1);
    });

    it('returns parallel tool calls in order, each reassembled from its own fragments', async () => {
      const req = { tools: [weatherTool, timeTool], tool_choice: 'required' };
      const { response } = await adapter.complete(body(req), target, signal());
      const names = (response.choices[0].message.tool_calls ?? []).map((c) => (c as { function: { name: string } }).function.name);
      expect(names).toEqual(['get_weather', 'get_time']);

      const acc = accumulate(await drain(await adapter.stream(body({ ...req, stream: true }), target, signal())));
      expect(acc.calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      expect(new Set(acc.calls.map((c) => c.id)).size).toBe(2);
      expect(JSON.parse(acc.calls[1].arguments)).toEqual({ zone: 'ping pong' });

      await adapter.complete(body({ ...req, parallel_tool_calls: false }), target, signal());
      const single = await adapter.complete(body({ ...req, parallel_tool_calls: false }), target, signal());
      expect(single.response.choices[0].message.tool_calls).toHaveLength(1);
    });

    it('sends image input (data URL and https URL) upstream', async () => {
      const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
      const content = [
        { type: 'text', text: 'what is this' },
        { type: 'image_url', image_url: { url: png } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
      ];
      const { response } = await adapter.complete(body({ messages: [{ role: 'user', content }] }), target, signal());
      expect(response.choices[0].message.content).toBe(`Hello from ${spec.upstreamModel}: what is this [2 images]`);
    });

    it('maps a max-tokens stop to finish_reason length', async () => {
      const { response } = await adapter.complete(body({ max_completion_tokens: 2 }), target, signal());
      expect(response.choices[0].finish_reason).toBe('length');
      expect(response.choices[0].message.content).toBe('Hello from');
      const acc = accumulate(await drain(await adapter.stream(body({ max_tokens: 2, stream: true }), target, signal())));
      expect(acc.finish).toEqual(['length']);
    });

    const httpErrors: [string, number, ProviderErrorClass, boolean, Record<string, string>?][] = [
      ['401', 401, 'auth', false],
      ['400', 400, 'bad_request', false],
      ['404', 404, 'not_found', false],
      ['429 + retry-after', 429, 'rate_limited', true, { 'retry-after': '2' }],
      ['500', 500, 'server', true],
      ['529', 529, 'overloaded', true],
    ];
    for (const [label, status, errorClass, retryable, headers] of httpErrors) {
      it(`classifies HTTP ${label} as ${errorClass} without leaking upstream secrets`, async () => {
        const message = `upstream says no (key ${SECRET})`;
        for (const call of ['complete', 'stream'] as const) {
          fake.enqueue({ status, json: spec.errorBody(status, message), headers });
          const err = await rejection(adapter[call](body({ stream: call === 'stream' }), target, signal()));
          expect(err.errorClass).toBe(errorClass);
          expect(err.retryable).toBe(retryable);
          expect(err.status).toBe(status);
          expect(err.message).not.toContain(SECRET);
          if (status === 400) expect(err.message).toContain('upstream says no');
          if (headers) expect(err.retryAfterMs).toBe(2000);
        }
      });
    }

    it('classifies a context-length error', async () => {
      fake.enqueue({ status: 400, json: spec.errorBody(400, spec.contextLengthMessage, 'context_length_exceeded') });
      const err = await rejection(adapter.complete(body(), target, signal()));
      expect(err.errorClass).toBe('context_length');
      expect(err.retryable).toBe(false);
    });

    it('fails a stream that reports overload after the first byte, after yielding what came before', async () => {
      fake.enqueue({ sse: spec.overloadedMidStream });
      const stream = await adapter.stream(body({ stream: true }), target, signal());
      const seen: string[] = [];
      const err = await rejection(
        (async () => {
          for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
        })(),
      );
      expect(err.errorClass).toBe('overloaded');
      expect(err.retryable).toBe(true);
      expect(seen.join('')).not.toBe('');
    });

    it('fails a truncated stream (no terminator) with a network error', async () => {
      fake.enqueue({ sse: spec.truncated });
      const err = await rejection(drain(await adapter.stream(body({ stream: true }), target, signal())));
      expect(err.errorClass).toBe('network');
    });

    it('fails with network when the connection is reset mid-stream', async () => {
      fake.enqueue({ resetAfterEvents: 2 });
      const stream = await adapter.stream(body({ stream: true }), target, signal());
      const chunks: unknown[] = [];
      const err = await rejection((async () => void (await (async () => { for await (const c of stream) chunks.push(c); })()))());
      expect(err.errorClass).toBe('network');
      expect(chunks.length).toBeGreaterThan(0);
      fake.enqueue({ resetAfterEvents: 0 });
      const err2 = await rejection(adapter.complete(body(), target, signal()));
      expect(err2.errorClass).toBe('network');
    });

    it('times out: no headers (first-byte timeout), silence mid-stream (idle timeout), slow body (total timeout)', async () => {
      await withAdapter({ firstByteMs: 150, idleMs: 150, totalMs: 2000 }, async (a) => {
        fake.enqueue({ hang: 'before-headers' });
        const t0 = performance.now();
        const err = await rejection(a.complete(body(), target, signal()));
        expect(err.errorClass).toBe('timeout');
        expect(err.retryable).toBe(true);
        expect(performance.now() - t0).toBeLessThan(1500);

        fake.enqueue({ hang: 'mid-stream' });
        const stream = await a.stream(body({ stream: true }), target, signal());
        const err2 = await rejection(drain(stream));
        expect(err2.errorClass).toBe('timeout');
      });
      await withAdapter({ firstByteMs: 1000, idleMs: 1000, totalMs: 250 }, async (a) => {
        fake.enqueue({ chunkDelayMs: 100 });
        const err = await rejection(a.stream(body({ stream: true }), target, signal()).then(drain));
        expect(err.errorClass).toBe('timeout');
      });
    });

    it('aborting the signal closes the upstream request (before headers and mid-stream)', async () => {
      fake.enqueue({ hang: 'before-headers' });
      const ctl = new AbortController();
      const pending = adapter.complete(body(), target, ctl.signal);
      await waitFor(() => fake.requests.length === 1);
      ctl.abort();
      const err = await rejection(pending);
      expect(err.errorClass).toBe('aborted');
      expect(await fake.requests[0].closed).toBe('aborted');

      fake.enqueue({ chunkDelayMs: 100 });
      const ctl2 = new AbortController();
      const stream = await adapter.stream(body({ stream: true }), target, ctl2.signal);
      const it2 = stream[Symbol.asyncIterator]();
      await it2.next();
      ctl2.abort();
      const err2 = await rejection(it2.next());
      expect(err2.errorClass).toBe('aborted');
      expect(await fake.requests[1].closed).toBe('aborted');
    });

    it('breaking out of the iteration closes the upstream request', async () => {
      fake.enqueue({ chunkDelayMs: 100 });
      const stream = await adapter.stream(body({ stream: true }), target, signal());
      for await (const c of stream) {
        expect(c.choices[0].delta.role).toBe('assistant');
        break;
      }
      expect(await fake.requests[0].closed).toBe('aborted');
      // the pool stays usable afterwards
      const { response } = await adapter.complete(body(), target, signal());
      expect(response.choices[0].finish_reason).toBe('stop');
    });
  });
}

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
