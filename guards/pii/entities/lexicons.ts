// The shipped lexicons (built by ../lexicon/build.ts): ~100 k entries, read in ~25 ms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../../src/paths.js';

// The shipped word lists (guards/pii/lexicon), from the package root: tsc does not copy them to dist/, and the
// bundle `npm start` runs sits elsewhere than this module (the Docker image copies them there).
const dir = fromRoot('guards', 'pii', 'lexicon');

export interface Lexicons {
  firstNames: ReadonlySet<string>;
  lastNames: ReadonlySet<string>;
  /** Countries, states, regions and cities (population ≥ 5,000), without common English words. */
  places: ReadonlySet<string>;
  /** Countries, states and regions only. */
  regions: ReadonlySet<string>;
  /** The ~10 k most common English words: a capitalised one is usually just a sentence start. */
  common: ReadonlySet<string>;
  /** Less common English words (SCOWL 35–40): read only in lower-cased text, where every word is a candidate. */
  english: ReadonlySet<string>;
  /** Words of company names that are no English word, name or place ("Collibra", "Lennar"): @cspell/dict-companies. */
  companies: ReadonlySet<string>;
  /** Names of software, tools and web services ("Vulkan", "Terraform"): @cspell/dict-software-terms. */
  software: ReadonlySet<string>;
}

function load(name: string, into = new Set<string>()): Set<string> {
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line) into.add(line);
  return into;
}

/** Every lexicon file, by what it holds: read by `lexicons` and hashed whole into the tables' key (one list for both). */
const FILES = {
  firstNames: 'first-names.txt',
  lastNames: 'last-names.txt',
  cities: 'cities.txt',
  regions: 'regions.txt',
  common: 'common-words.txt',
  english: 'english-words.txt',
  companies: 'companies.txt',
  software: 'software-terms.txt',
} as const;
export type LexiconFiles = Record<keyof typeof FILES, Buffer>;

/** The lexicon files' bytes, for the key of the tables built from them (lex-table-file.ts). */
export function lexiconFileBytes(): LexiconFiles {
  return Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, readFileSync(join(dir, f))])) as LexiconFiles;
}

/**
 * Reads the lexicon files. Not cached: names.ts builds its lookup table from them once and keeps only that (the
 * sets of ~100 k strings would otherwise stay on the heap for the life of the process).
 */
export function lexicons(): Lexicons {
  return {
    firstNames: load(FILES.firstNames),
    lastNames: load(FILES.lastNames),
    places: load(FILES.cities, load(FILES.regions)),
    regions: load(FILES.regions),
    common: load(FILES.common),
    english: load(FILES.english),
    companies: load(FILES.companies),
    software: load(FILES.software),
  };
}
