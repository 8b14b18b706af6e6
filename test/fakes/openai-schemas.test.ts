import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startFakeUpstream, splitSseEvents } from './fake-upstream.js';
import { validateChunk, validateResponse } from './openai-schemas.js';
import { fromShared, sharedDir } from '../../src/paths.js';

const EX = fromShared('fixtures/openai/examples');

describe('openai schema validators', () => {
  it('accept the spec examples and reject a response without refusal', () => {
    const ok = JSON.parse(readFileSync(`${EX}/chat_completions__default.response.json`, 'utf8'));
    validateResponse(ok);
    const bad = structuredClone(ok);
    delete bad.choices[0].message.refusal;
    expect(() => validateResponse(bad)).toThrow(/refusal/);
  });

  it('accept every chunk of the recorded OpenAI streams', () => {
    for (const f of ['text_basic_usage', 'tool_calls_parallel_two_tools_usage', 'n3_multiple_choices_usage']) {
      const events = splitSseEvents(readFileSync(`${sharedDir}/fixtures/sse/openai/${f}.sse`, 'utf8'));
      for (const e of events) {
        const data = e.replace(/^data: /, '').trim();
        if (data !== '[DONE]') validateChunk(JSON.parse(data));
      }
    }
    expect(() => validateChunk({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm' })).toThrow(/choices/);
  });

  it('the fake upstream OpenAI answers are themselves schema-valid', async () => {
    const fake = await startFakeUpstream();
    try {
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
      const res = await fetch(`${fake.openaiBaseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
      validateResponse(await res.json());
      const s = await fetch(`${fake.openaiBaseUrl}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      });
      const frames = splitSseEvents(await s.text()).map((e) => e.replace(/^data: /, '').trim());
      expect(frames.at(-1)).toBe('[DONE]');
      for (const f of frames.slice(0, -1)) validateChunk(JSON.parse(f));
      expect(fake.requests).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });
});
