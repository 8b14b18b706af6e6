import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { anthropicChunkStream } from '../../providers/anthropic/stream.js';
import { validateChunk } from '../fakes/openai-schemas.js';
import { decode, oneBytePieces, splitPositions, type DecoderFactory } from './sse-splits.js';
import { fromShared } from '../../src/paths.js';

const DIR = fromShared('fixtures/sse/anthropic');
const files = readdirSync(DIR).filter((f) => f.endsWith('.sse'));
const factory: DecoderFactory = (res, signal) => anthropicChunkStream('anthropic-test', res, signal);

describe('Anthropic SSE fixtures split at every byte boundary give identical chunks', () => {
  it('finds the fixtures', () => expect(files.length).toBeGreaterThanOrEqual(8));

  for (const file of files) {
    it(file, async () => {
      const buf = readFileSync(`${DIR}/${file}`);
      const whole = await decode(factory, [buf]);
      for (const c of whole.chunks) validateChunk(c);
      if (file.includes('error_overloaded')) expect(whole.error).toBe('overloaded');
      else expect(whole.error).toBeUndefined();
      // the transcripts are small: decode the whole stream for every two-piece split
      for (const p of splitPositions(buf)) {
        const got = await decode(factory, [buf.subarray(0, p), buf.subarray(p)]);
        try {
          expect(got).toEqual(whole);
        } catch (err) {
          throw new Error(`${file}: split at byte ${p} changed the chunks: ${(err as Error).message}`);
        }
      }
      expect(await decode(factory, oneBytePieces(buf))).toEqual(whole);
      // Every split decodes the whole stream again: quadratic in its size (the 50 KB web-search transcript takes
      // ~8 s alone, several times that beside the rest of the suite).
    }, 180_000);
  }
});
