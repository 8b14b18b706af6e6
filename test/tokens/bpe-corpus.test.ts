/**
 * The JavaScript BPE encoder against tiktoken on real text nobody here wrote: the prompt-injection sources (attacks
 * and benign prompts in a dozen languages, Wikipedia paragraphs, maths, code), the presidio sample's records and
 * this repository's own source files. Every token must be the same: budgets and bills are counted with it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { loadSources } from '../../guards/injection/sources.js';
import { fromRoot, fromShared } from '../../src/paths.js';
import { BpeEncoder, buildTables, type BpeEncodingName } from '../../src/tokens/bpe.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((f) =>
    f.isDirectory() ? sourceFiles(join(dir, f.name)) : f.name.endsWith('.ts') ? [readFileSync(join(dir, f.name), 'utf8')] : [],
  );
}

// Every third prompt (the sources are ordered by source, so each is sampled), every record, every source file.
const texts = [
  ...loadSources().map((r) => r.text).filter((_, i) => i % 3 === 0),
  ...(JSON.parse(readFileSync(fromShared('datasets/pii/presidio-synth-dev.json'), 'utf8')) as { full_text: string }[]).map((r) => r.full_text),
  ...sourceFiles(fromRoot('src')),
];

describe('JavaScript BPE = tiktoken on real text', () => {
  for (const name of ['o200k_base', 'cl100k_base'] as BpeEncodingName[]) {
    it(`${name}: ${texts.length} texts token for token`, () => {
      const ref = get_encoding(name);
      const ours = new BpeEncoder(name, buildTables(name));
      const differing = texts.filter((t) => {
        const a = ours.encode_ordinary(t);
        const b = ref.encode_ordinary(t);
        return a.length !== b.length || a.some((x, i) => x !== b[i]) || ours.count(t) !== b.length;
      });
      ref.free();
      expect(differing.map((t) => t.slice(0, 80))).toEqual([]);
    }, 60_000);
  }
});
