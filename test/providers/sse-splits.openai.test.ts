import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAIChunkStream } from '../../providers/openai/stream.js';
import { validateChunk } from '../fakes/openai-schemas.js';
import { decode, oneBytePieces, sseEvents, splitPositions, type DecoderFactory } from './sse-splits.js';
import { fromShared } from '../../src/paths.js';

const DIR = fromShared('fixtures/sse/openai');
const files = readdirSync(DIR).filter((f) => f.endsWith('.sse'));
const factory: DecoderFactory = (res, signal) => openAIChunkStream('openai-test', res, signal);

describe('OpenAI SSE fixtures split at every byte boundary', () => {
  it('finds the fixtures', () => expect(files.length).toBeGreaterThanOrEqual(10));

  for (const file of files) {
    it(file, async () => {
      const buf = readFileSync(`${DIR}/${file}`);
      const whole = await decode(factory, [buf]);
      expect(whole.error).toBeUndefined();
      expect(whole.chunks.length).toBeGreaterThan(2);
      for (const c of whole.chunks) validateChunk(c);
      expect(whole.chunks.at(-1)?.usage).toBeTruthy();

      // The decoder sees only whole events, so split invariance of the events implies it for the chunks;
      // checking events at every position keeps this fast, and full decodes below confirm the chunks.
      const events = await sseEvents([buf]);
      for (const p of splitPositions(buf)) {
        const got = await sseEvents([buf.subarray(0, p), buf.subarray(p)]);
        if (got.length !== events.length || got.some((e, i) => e.data !== events[i].data || e.event !== events[i].event)) {
          throw new Error(`${file}: split at byte ${p} changed the events`);
        }
      }
      for (const p of [1, buf.length >> 2, buf.length >> 1, buf.length - 1]) {
        expect(await decode(factory, [buf.subarray(0, p), buf.subarray(p)])).toEqual(whole);
      }
      expect(await decode(factory, oneBytePieces(buf))).toEqual(whole);
    });
  }
});
