// The shipped lexicons (built by ../lexicon/build.ts), loaded once on first use: ~100 k entries, ~25 ms.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'lexicon');

export interface Lexicons {
  firstNames: ReadonlySet<string>;
  lastNames: ReadonlySet<string>;
  /** Countries, states, regions and cities (population ≥ 5,000), without common English words. */
  places: ReadonlySet<string>;
  /** Countries, states and regions only. */
  regions: ReadonlySet<string>;
  /** The ~10 k most common English words: a capitalised one is usually just a sentence start. */
  common: ReadonlySet<string>;
}

function load(name: string, into = new Set<string>()): Set<string> {
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line) into.add(line);
  return into;
}

let cached: Lexicons | undefined;

export function lexicons(): Lexicons {
  return (cached ??= {
    firstNames: load('first-names.txt'),
    lastNames: load('last-names.txt'),
    places: load('cities.txt', load('regions.txt')),
    regions: load('regions.txt'),
    common: load('common-words.txt'),
  });
}
