// Person names, locations and organisations without a model: runs of capitalised words are looked up in the shipped
// lexicons (first names, surnames, places) and read with the words around them ("my name is", "Mr.", "grew up in",
// "works for", "Inc."). Precision comes from requiring two signals for anything but a lexicon-confirmed full name.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexiconFileBytes, lexicons, type LexiconFiles } from './lexicons.js';
import { LEX, LEX_TABLE_MODULE, LexTable } from './lex-table.js';
import { generatedLexTablesFile, lexTablesKey, readGeneratedLexTables } from './lex-table-file.js';
import type { Span } from './address.js';
import { ORG_AFTER_LATE, ORG_BEFORE_WORDS, ORG_HEAD, ORG_PREPOSITION, ORG_SUFFIX, ORG_SUFFIX_WEAK } from './org-words.js';

export type EntityCategory = 'person' | 'location' | 'organization' | 'street_address';
export interface EntitySpan extends Span { category: EntityCategory }

const TOK = "\\p{Lu}[\\p{L}\\p{M}'’]*(?:-\\p{L}[\\p{L}\\p{M}'’]*)*\\.?";
// Not "of": "Rościsław Dudek of Lexisnexis" is a person and an organisation, not one name.
const CONN = 'de|del|della|da|das|do|dos|van|von|der|den|la|le|du|di|bin|al|el|ter|ten|zu|y';
// A run: capitalised words (or initials) separated by single spaces, lower-case particles allowed inside.
// Sticky: run only where a scan found an upper-case letter that starts a word (much faster than letting the regex
// engine try every position of the text).
const RUN = new RegExp(`${TOK}(?:[ \\t](?:(?:${CONN})[ \\t])?${TOK}){0,5}`, 'uy');

// Per UTF-16 code unit: 1 = upper-case letter, 2 = other word character (letter, mark, digit, apostrophe), 3 = other.
const charClass = new Int8Array(65536);
function classOf(c: number): number {
  let v = charClass[c];
  if (v === 0) {
    const ch = String.fromCharCode(c);
    v = /\p{Lu}/u.test(ch) ? 1 : /[\p{L}\p{M}\p{N}'’]/u.test(ch) ? 2 : 3;
    charClass[c] = v;
  }
  return v;
}

function kindAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 65 && c <= 90 ? 1 : (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? 2 : c < 128 && c !== 39 ? 3 : classOf(c);
}

// Set by capitalStarts: whether the text has a capitalised word (an upper-case letter at a word start followed by a
// lower-case or other non-capital word character).
let titleSeen = false;
const LOWER_PAIR = /[a-z]{2}/;

/** Start offsets of capitalised words: an upper-case letter not preceded by a word character. */
function capitalStarts(text: string): number[] {
  const out: number[] = [];
  let prevWord = false;
  titleSeen = false;
  for (let i = 0; i < text.length; i++) {
    const k = kindAt(text, i);
    if (k === 1 && !prevWord) {
      out.push(i);
      if (!titleSeen && i + 1 < text.length && kindAt(text, i + 1) === 2) titleSeen = true;
    }
    prevWord = k !== 3;
  }
  return out;
}

// The word loneCommonWord last looked up (from the run's start): `tokens` reuses its flags when the run's first key is
// that same range, instead of hashing and probing the table (a cache miss, often) again for the same word.
let firstKeyEnd = -1;
let firstFlags = 0;

/**
 * Fast rejection of the commonest case, a lone capitalised ordinary word ("The", "However", "This"): no regex,
 * no context read. True when the word at `at` is a common or lead word and no capitalised word follows it.
 */
function loneCommonWord(text: string, at: number, tab: LexTable): boolean {
  let j = at + 1;
  while (j < text.length && kindAt(text, j) !== 3) j++;
  const f = tab.get(text, at, j);
  firstKeyEnd = j;
  firstFlags = f;
  if (!(f & (LEX.COMMON | LEX.LEAD)) || f & LEX.HONORIFIC) return false;
  if (f & LEX.ORG_HEAD && text.startsWith(' of ', j)) return false; // "University of ..."
  if (text.charCodeAt(j) === 32 && kinFirmEnd(text, j) > 0) return false; // "Smith and Sons"
  // Followed by " X" or "-X" with X upper case: part of a longer run or word, read it properly.
  const n = text.charCodeAt(j);
  return !((n === 32 || n === 45) && j + 1 < text.length && kindAt(text, j + 1) === 1);
}

const HONORIFIC = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'madam', 'dame', 'lord', 'lady', 'herr', 'frau', 'sr', 'sra', 'mme', 'mlle', 'm']);
// Capitalised words that start a sentence or a greeting and are never part of the entity that follows.
const LEAD = new Set([
  'the', 'a', 'an', 'in', 'on', 'at', 'hi', 'hello', 'hey', 'dear', 'my', 'our', 'his', 'her', 'their', 'your', 'and',
  'but', 'or', 'when', 'where', 'so', 'if', 'is', 'was', 'it', 'this', 'that', 'please', 'to', 'from', 'for', 'with',
  'by', 'of', 'as', 'i', 'we', 'you', 'he', 'she', 'they', 'thanks', 'thank', 'yes', 'no', 'ok', 'okay', 'bot',
  'user', 'name', 'address', 'phone', 'email', 'fax', 'tel', 'mobile', 'date', 'where', 'when', 'who', 'what', 'why', 'how', 'have', 'has',
  'did', 'does', 'do', 'can', 'could', 'would', 'should', 'will', 'may', 'might', 'must', 'maybe', 'sometimes',
  'unlike', 'during', 'since', 'after', 'before', 'although', 'though', 'because', 'while', 'also', 'then',
  "i'm", "i’m", "i'd", "i'll", "i've", "it's", "that's", "what's", "here's", "there's", "let's", 'mission', 'statement',
]);
// Capitalised words that are never a person, place or organisation on their own: months, days, languages and
// nationalities, and the AI products prompts talk about (a gateway's traffic mentions Claude and Gemini constantly).
const NEVER = new Set([
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'english', 'german', 'french',
  'spanish', 'italian', 'portuguese', 'dutch', 'swedish', 'norwegian', 'danish', 'finnish', 'polish', 'czech',
  'slovak', 'hungarian', 'greek', 'turkish', 'russian', 'ukrainian', 'chinese', 'japanese', 'korean', 'arabic',
  'hindi', 'bengali', 'american', 'british', 'canadian', 'australian', 'european', 'african', 'asian', 'mexican',
  'brazilian', 'indian', 'irish', 'scottish', 'welsh', 'icelandic', 'slovenian', 'croatian', 'serbian', 'romanian',
  'bulgarian', 'estonian', 'latvian', 'lithuanian', 'persian', 'hebrew', 'latin', 'vietnamese', 'thai', 'swahili',
  'claude', 'gemini', 'gemma', 'llama', 'mistral', 'mixtral', 'sora', 'palm', 'bard', 'copilot', 'alexa', 'siri',
  'cortana', 'watson', 'grok', 'phi', 'falcon', 'vicuna', 'alpaca', 'dolly', 'qwen', 'deepseek', 'chatgpt', 'openai',
  'anthropic', 'meta', 'google', 'microsoft', 'apple', 'amazon', 'github', 'python', 'java', 'ruby', 'rust', 'swift',
  'kotlin', 'julia', 'dart', 'elixir', 'linux', 'windows', 'android', 'ubuntu', 'debian', 'docker', 'kubernetes',
]);
// "Waechter Turnpike", "Philip Bypass", "Martinez Mall": a name followed by one of these is a street, not a person.
const STREET_SUFFIX = new Set([
  'street', 'avenue', 'road', 'lane', 'boulevard', 'drive', 'turnpike', 'bypass', 'mall', 'greens', 'radial', 'loop',
  'expressway', 'freeway', 'parkway', 'highway', 'crossing', 'crescent', 'terrace', 'court', 'place', 'square',
  'trail', 'way', 'alley', 'plaza', 'pike', 'viaduct', 'skyway', 'throughway', 'trafficway', 'stravenue',
  'underpass', 'overpass', 'causeway', 'junction', 'mews', 'walk', 'row', 'gardens', 'estates', 'heights', 'ridge',
]);
const ADDRESS_TOKEN = new Set(['apt', 'suite', 'unit', 'st', 'ave', 'rd', 'box', 'p.o', 'blvd']);
// Dropped before a place lookup: "Southern Italy", "North Jutland".
const DIRECTION = new Set(['southern', 'northern', 'eastern', 'western', 'central', 'north', 'south', 'east', 'west', 'upper', 'lower', 'greater']);
// Cues read just before a run (lower-cased, up to 48 characters).
const PERSON_BEFORE = cue(
  /(?:my name is|name is|names? (?:on|in) the account(?: is)?|i'm|i am|this is|call me|calls? me|called|named(?: \w+)?|maiden name is|user:|name:|directed by:?|starring|signed|regards,?|sincerely,?|thanks,?|dear|hi|hello|hey|follow up with|speak to|talk to|add|under|guardian|kid|son|daughter|partner's name|wife|husband|ms\.?|mr\.?|mrs\.?|dr\.?|said|says|asked|told|wrote|by|with|and|producer|commenter|songwriter|player|to)[ \t:,]*(?:\n[ \t>]*)?$/,
  "is account i'm i’m am me called named him her name user by starring signed regards sincerely thanks dear hi hello hey with to add under guardian kid son daughter wife husband ms mr mrs dr said says asked told wrote and producer commenter songwriter player",
);
const PERSON_AFTER = /^(?:'s\b|’s\b|,? (?:said|says|asked|told|wrote|explained|shouted|is a|is very|was a|will be|had given|lives|spent|began|from|of|and \p{Lu})|:)/u;
// A person's things and people after a possessive ("Anna's phone number", "Kowalczyk's wife").
const OWNED = '(?:phone|cell|mobile)(?: number)?|number|e-?mail|birthday|mother|father|mom|mum|dad|brother|sister|friend|boyfriend|girlfriend|partner|boss|family|parents|children|kids|house|home|car|account|password|address|wife|husband|son|daughter|kid';
const PERSON_AFTER_STRONG = new RegExp(`^(?:['’]s (?:killers|song|version|cautionary|${OWNED})\\b|,? (?:said|says|asked|shouted|explained|told|replied|answered|whispered|added)\\b| (?:is|was) (?:very|so|from|a very|my|our|your|his|her|their)\\b| has been| had given| (?:and \\p{Lu}[\\p{L}'-]+ )?were\\b| just has| lives\\b| lived\\b| will be talking| began\\b|, can (?:I|i|you)\\b| and (?:I|me)\\b| (?:told|asked|emailed|texted|called|sent|gave|owes|paid) (?:me|us|him|her|them)\\b)`, 'u');
// Before a lone capitalised word in no lexicon: speech verbs, greetings, a person's relation to the writer
// ("my cousin Warrane"), a title or role, a verb whose object is a person ("ask", "invite", "cc:").
const RELATION = 'friend|brother|sister|mother|father|mom|mum|dad|wife|husband|boyfriend|girlfriend|partner|boss|colleague|coworker|co-worker|manager|cousin|uncle|aunt|niece|nephew|grandmother|grandfather|grandma|grandpa|neighbou?r|teacher|doctor|lawyer|landlord|roommate|fianc[eé]e?|child|son|daughter';
// After a lone capitalised word, what only a person does or has (a place may be "very" anything or "from" somewhere).
const PERSON_ONLY_AFTER = /^(?:['’]s (?:killers|(?:phone|cell|mobile)(?: number)?|e-?mail|birthday|mother|father|mom|mum|dad|brother|sister|boyfriend|girlfriend|wife|husband|son|daughter|kid)\b|,? (?:said|says|asked|told|replied|answered|whispered|shouted|explained)\b| had given| (?:told|asked|emailed|texted|called) (?:me|us|him|her|them)\b)/;
// The one-word cues are read off the context's last word; the rest need the regex.
const SPEECH_WORDS = new Set('says said asked told wrote explained replied by kid son daughter early dear hi hello hey thanks ask tell met meet invite contact cc attn attention ceo president director professor senator minister captain officer agent detective coach saint'.split(' '));
const RELATION_BEFORE = /(?:my|our|his|her|their|your) [\w-]+[ \t,:]*$/;
const SPEECH_MULTI = cueByWord({
  of: /gender of[ \t,:]*$/, me: /remember me,[ \t]*$/, town: /town,[ \t]*$/, at: /shouted at[ \t,:]*$/,
  you: /thank you[ \t,:]*$/, with: /meeting with[ \t,:]*$/, prof: /prof\.[ \t]*$/,
  ...Object.fromEntries(RELATION.replace('neighbou?r', 'neighbor|neighbour').replace('fianc[eé]e?', 'fiance|fiancé|fiancee|fiancée').split('|').map((w) => [w, RELATION_BEFORE])),
});
const SPEECH_BEFORE = (c: RunContext): boolean => SPEECH_WORDS.has(c.lastWord) || SPEECH_MULTI(c);
const DIALOGUE = /^[ \t]*:[ \t]*["“\p{Lu}]/u;

// Necessary conditions of the "after" regexes, read on the two characters after the run before its context is sliced
// (most runs are followed by a space and a word no alternative starts with). A bit per character of `firsts`.
const LETTER_BITS = (letters: string): number => [...letters].reduce((m, ch) => m | (1 << (ch.charCodeAt(0) - 97)), 0);
const PERSON_AFTER_NEXT = LETTER_BITS('satweihlbfo'); // said, asked, told, wrote, explained, is, had, lives, began, from, of, and
const STRONG_AFTER_NEXT = LETTER_BITS('saetiwhjlbrcgop'); // said, asked, explained, told, is, was, has, just, lives, began, and, were, will
const ORG_AFTER_NEXT = LETTER_BITS('oisrat'); // office, orchestra, is, invested, songwriter, resignation, a, an, the
const ORG_POSSESSED_NEXT = LETTER_BITS('cfbshea'); // ceo, founder, board, shares, headquarters, employees, annual report

/** Whether `c` (a code unit) is a lower-case ASCII letter in `bits`. */
const inBits = (c: number, bits: number): boolean => c >= 97 && c <= 122 && (bits & (1 << (c - 97))) !== 0;

/** PERSON_AFTER can match at `end`: "'s", "’s", ",", ":" or a space and one of its words' first letters. */
function personAfterMay(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  return c === 39 || c === 0x2019 || c === 44 || c === 58 || (c === 32 && inBits(text.charCodeAt(end + 1), PERSON_AFTER_NEXT));
}

/** PERSON_AFTER_STRONG can match at `end`. */
function strongAfterMay(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  return c === 39 || c === 0x2019 || c === 44 || (c === 32 && inBits(text.charCodeAt(end + 1), STRONG_AFTER_NEXT));
}

/** PERSON_ONLY_AFTER can match at `end`: "'s", "’s", "," or a space and one of its words' first letters. */
const PERSON_ONLY_NEXT = LETTER_BITS('satrwehc'); // said, asked, told, replied, whispered, explained, had, called
function personOnlyAfterMay(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  return c === 39 || c === 0x2019 || c === 44 || (c === 32 && inBits(text.charCodeAt(end + 1), PERSON_ONLY_NEXT));
}

/** DIALOGUE can match at `end`: a colon after spaces or tabs. */
function dialogueMay(text: string, end: number): boolean {
  let i = end;
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  return text.charCodeAt(i) === 58;
}
const PLACE_BEFORE = /(?:originally from|grew up in|moved (?:here )?from|li(?:ve|ves|ved|ving) in|based in|travell?ing to|flew to|fly to|born in|home city|i'm in|i am in|returned to|arrived (?:at|in)|visit|coming to|trip to|from|in|to|near|across|where:)[ \t]*$/;
const WEAK_PLACE_BEFORE = cue(
  /(?:\bin|\bto|\bat|\bfrom|\bnear|\bof)[ \t]*$/,
  'in to at from near of',
);
const STRONG_PLACE_BEFORE = cue(
  /(?:arrived (?:at|in)|university of|street in|originally from|grew up in|moved (?:here )?from|li(?:ve|ves|ved|ving) in|based in|travell?ing to|flew to|born in|home city|i'm in|i am in|coming to|trip to|where:)[ \t]*$/,
  'at in of from to city where visit',
);
// Before an organisation (org-words.ts): employment, ownership, a role in it, dealings with it, form labels.
const ORG_BEFORE_STRICT = cueByWord(ORG_BEFORE_WORDS);
const ORG_AFTER = /^(?: office| orchestra| is an? (?:[\w-]+ ){0,3}(?:company|agency|bank|firm|startup|non-profit|multinational|corporation|organi[sz]ation|brand|manufacturer|provider|retailer|publisher|charity|nonprofit|501)| is the brainchild| invested| songwriter| resignation|,? (?:a|an|the) (?:[\w-]+ ){0,2}(?:company|firm|agency|startup|retailer|manufacturer)| is (?:headquartered|listed on|looking for|seeking|hiring)|['’]s (?:ceo|cto|cfo|founder|co-founder|board|shares|stock|headquarters|hq|employees|staff|subsidiary|spokes(?:person|man|woman)|annual report))/;

// "Davis, Reynolds and Williamson", "Hawkins, Richardson and Santana": partnership names of firms.
const FIRM = /(?<![\p{L}\p{M}])\p{Lu}[\p{L}\p{M}'’-]+,[ \t]\p{Lu}[\p{L}\p{M}'’-]+(?:,)?[ \t](?:and|&)[ \t]\p{Lu}[\p{L}\p{M}'’-]+/gu;
const FIRM_AT = new RegExp(FIRM.source, 'uy');

// Per UTF-16 code unit, for FIRM's first word: 1 = letter or mark, 2 = other character of [\p{L}\p{M}'’-], 4 = upper case.
const firmClass = new Int8Array(65536).fill(-1);
function firmClassOf(c: number): number {
  if (firmClass[c] < 0) {
    const ch = String.fromCharCode(c);
    firmClass[c] = (/[\p{L}\p{M}]/u.test(ch) ? 1 : /['’-]/.test(ch) ? 2 : 0) | (/\p{Lu}/u.test(ch) ? 4 : 0);
  }
  return firmClass[c];
}

/**
 * The matches of FIRM, in order, found from the commas: its first word ends at one, so the regex runs (sticky) only
 * at the word starts just before a ", " instead of at every position of the text. Text with surrogate pairs next to
 * such a word (astral letters) is scanned the plain way.
 */
function firmMatches(text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let covered = 0;
  for (let comma = text.indexOf(','); comma >= 0; comma = text.indexOf(',', comma + 1)) {
    const next = text.charCodeAt(comma + 1);
    if (next !== 32 && next !== 9) continue;
    let r = comma;
    while (r > covered && firmClassOf(text.charCodeAt(r - 1)) & 3) r--;
    if (r > 0 && (text.charCodeAt(r - 1) & 0xf800) === 0xd800) return [...text.matchAll(FIRM)];
    for (let p = r; p < comma; p++) {
      if (!(firmClassOf(text.charCodeAt(p)) & 4) || (p > 0 && firmClassOf(text.charCodeAt(p - 1)) & 1)) continue;
      FIRM_AT.lastIndex = p;
      const m = FIRM_AT.exec(text);
      if (m) {
        out.push(m);
        covered = p + m[0].length;
        break;
      }
    }
  }
  return out;
}

/** The last word of a (lower-cased) context, without trailing spaces and punctuation: "my name is: " → "is". */
function lastWordOf(before: string): string {
  let e = before.length;
  while (e > 0 && ' \t\n:,>?"'.includes(before[e - 1])) e--;
  let b = e;
  for (let c = before.charCodeAt(b - 1); b > 0 && ((c >= 97 && c <= 122) || c === 39 || c === 0x2019 || c === 46); c = before.charCodeAt(b - 1)) b--;
  return before.charCodeAt(e - 1) === 46 && e > b ? before.slice(b, e - 1) : before.slice(b, e);
}

const isSkipped = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 58 || c === 44 || c === 62 || c === 63 || c === 34;

/**
 * lastWordOf(the 40 characters before `start`, lower-cased) read straight from the text, without slicing and
 * lower-casing the context (most runs need only this word: the cues test it first). Undefined when a character
 * beyond ASCII (other than ’) is in the way: its lower case may differ in length or be ASCII, so the caller takes the
 * slow path.
 */
function lastWordAt(text: string, start: number): string | undefined {
  const lo = Math.max(0, start - 40);
  let e = start;
  for (; e > lo; e--) {
    const c = text.charCodeAt(e - 1);
    if (!isSkipped(c)) {
      if (c >= 128 && c !== 0x2019) return undefined;
      break;
    }
  }
  let b = e;
  for (; b > lo; b--) {
    const c = text.charCodeAt(b - 1);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 39 || c === 0x2019 || c === 46) continue;
    if (c >= 128) return undefined;
    break;
  }
  return (text.charCodeAt(e - 1) === 46 && e > b ? text.slice(b, e - 1) : text.slice(b, e)).toLowerCase();
}

/**
 * A cue regex anchored at the end of the context, tried only when the context's last word can end one of its
 * phrases: a Set lookup instead of trying every alternative at every position of 40 characters (about 1 µs a test).
 */
/**
 * A cue read by its last word: the word alone (true), the words one of which must stand just before it (a Set: one
 * lookup instead of a regex of many alternatives tried at every position), or a regex for what must end the context.
 */
function cueByWord(byWord: Record<string, ReadonlySet<string> | RegExp | true>): (c: RunContext) => boolean {
  const map = new Map(Object.entries(byWord));
  return (c) => {
    const cue = map.get(c.lastWord);
    if (cue === undefined || cue === true) return cue === true;
    return cue instanceof RegExp ? cue.test(c.before) : cue.has(wordBeforeLast(c.before));
  };
}

const isCueChar = (c: number): boolean => (c >= 97 && c <= 122) || c === 45 || c === 39;

/**
 * The word before the last one of a (lower-cased) context that ends with that last word and spaces, tabs or colons
 * only ("a nurse at " → "nurse"); "" otherwise.
 */
function wordBeforeLast(before: string): string {
  let e = before.length;
  while (e > 0 && (before.charCodeAt(e - 1) === 32 || before.charCodeAt(e - 1) === 9 || before.charCodeAt(e - 1) === 58)) e--;
  const lastEnd = e;
  while (e > 0 && isCueChar(before.charCodeAt(e - 1))) e--;
  if (e === lastEnd || (e > 0 && before.charCodeAt(e - 1) !== 32 && before.charCodeAt(e - 1) !== 9)) return '';
  while (e > 0 && (before.charCodeAt(e - 1) === 32 || before.charCodeAt(e - 1) === 9)) e--;
  const we = e;
  while (e > 0 && isCueChar(before.charCodeAt(e - 1))) e--;
  return before.slice(e, we);
}

function cue(re: RegExp, lastWords: string): (c: RunContext) => boolean {
  const set = new Set(lastWords.split(' '));
  return (c) => set.has(c.lastWord) && re.test(c.before);
}

/** No lower-case letter in `s` (what `s === s.toUpperCase()` says, without building the upper-cased copy for ASCII). */
function noLower(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 97 && c <= 122) return false;
    if (c >= 128) return s === s.toUpperCase();
  }
  return true;
}

function isInitial(t: string): boolean {
  const n = t.length;
  if (n === 1) return kindAt(t, 0) === 1;
  if (n === 2 && t.charCodeAt(1) === 46) return kindAt(t, 0) === 1;
  // An upper-case letter beyond the BMP (a surrogate pair), alone or with a full stop: rare, left to the regex.
  return n <= 3 && (t.charCodeAt(0) & 0xfc00) === 0xd800 && /^\p{Lu}\.?$/u.test(t);
}

/** A token of a run. `f` holds its lexicon flags (LEX), looked up on its key: lower-cased, without a trailing full stop or possessive. */
interface Tok { text: string; start: number; end: number; keyEnd: number; f: number }

/** End of the lexicon key of `text[start, end)`: a trailing "'s", "’s" or "." is not part of it. */
function keyEnd(text: string, start: number, end: number): number {
  const c = text.charCodeAt(end - 1);
  if (c === 115 && end - start >= 2 && (text.charCodeAt(end - 2) === 39 || text.charCodeAt(end - 2) === 0x2019)) return end - 2;
  return c === 46 ? end - 1 : end;
}

/** Tokens of the run `text[from, to)` (single spaces or tabs between), cut before an address word ("Apt.") and after a sentence-ending full stop. */
function tokens(text: string, from: number, to: number, tab: LexTable): Tok[] {
  const out: Tok[] = [];
  for (let s = from; s < to; ) {
    let e = s + 1;
    while (e < to && text.charCodeAt(e) !== 32 && text.charCodeAt(e) !== 9) e++;
    const ke = keyEnd(text, s, e);
    const f = s === from && ke === firstKeyEnd ? firstFlags : tab.get(text, s, ke);
    const t: Tok = { text: text.slice(s, e), start: s, end: e, keyEnd: ke, f };
    if (t.f & LEX.ADDRESS && out.length) break;
    out.push(t);
    if (t.text.endsWith('.') && t.text.length > 2 && !(t.f & LEX.HONORIFIC)) break;
    if (ke === e - 2) break; // "Emmie Ström's Cautionary Tales": the possessive ends the name
    s = e + 1;
  }
  return out;
}

/** Lexicon flags of the words' keys joined by spaces ("new york"). */
function phraseFlags(text: string, words: readonly Tok[], from: number, tab: LexTable): number {
  if (words.length - from === 1) return words[from].f;
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = from; i < words.length; i++) {
    starts.push(words[i].start);
    ends.push(words[i].keyEnd);
  }
  return tab.phrase(text, starts, ends, 0, starts.length);
}

/** The text around one run, sliced and lower-cased only when a rule reads it (most runs are decided without). */
class RunContext {
  private b: string | undefined;
  private lw: string | undefined;
  private a: string | undefined;
  private al: string | undefined;
  constructor(private readonly text: string, private start = 0, private end = 0) {}
  reset(start: number, end: number): void {
    this.start = start;
    this.end = end;
    this.b = this.lw = this.a = this.al = undefined;
  }
  /** Up to 40 characters before the run, lower-cased. */
  get before(): string {
    return (this.b ??= this.text.slice(Math.max(0, this.start - 40), this.start).toLowerCase());
  }
  get lastWord(): string {
    return (this.lw ??= lastWordAt(this.text, this.start) ?? lastWordOf(this.before));
  }
  /** Up to 64 characters after the run. */
  get after(): string {
    return (this.a ??= this.text.slice(this.end, this.end + 64));
  }
  get afterLower(): string {
    return (this.al ??= this.after.toLowerCase());
  }
}

let table: LexTable | undefined;
let wordTable: LexTable | undefined;

/** This file's word lists, by the flag they set: with the lexicon files, what the tables are built from. */
const inCodeLists = (): [Iterable<string>, number][] => [
  [LEAD, LEX.LEAD], [HONORIFIC, LEX.HONORIFIC], [NEVER, LEX.NEVER], [ORG_SUFFIX, LEX.ORG_SUFFIX],
  [ORG_SUFFIX_WEAK, LEX.ORG_SUFFIX_WEAK], [STREET_SUFFIX, LEX.STREET_SUFFIX], [DIRECTION, LEX.DIRECTION],
  [CONN.split('|'), LEX.CONN], [ADDRESS_TOKEN, LEX.ADDRESS], [ORG_NOUN_FIRST, LEX.ORG_NEXT], [ORG_HEAD, LEX.ORG_HEAD],
];

/**
 * The key of the tables the shipped lexicons and this file's lists make (lex-table-file.ts): their inputs, and the
 * code that builds them (a changed derivation or table layout must not read an old file). The code is the files
 * of this module and lex-table's as they run (dist/'s JavaScript; the sources under tsx), not the functions' text:
 * the bundle `npm start` runs (src/launch.ts) reprints that text, but its modules keep their files'
 * `import.meta.url` (src/build/bundle.ts), so `npm run build`'s file matches the bundle.
 */
export const namesTablesKey = (files = lexiconFileBytes()): string =>
  lexTablesKey([...Object.values(files), ...[import.meta.url, LEX_TABLE_MODULE].map((u) => readFileSync(fileURLToPath(u)))], inCodeLists());

/**
 * The shipped lexicons and this file's word lists in one table (~100 k keys), and the less common English words in
 * a second: read from the file `npm run build` wrote when it was written for these inputs, else built (~0.2 s).
 */
function lexTable(): LexTable {
  if (!table) [table, wordTable] = loadNamesTables().tables;
  return table;
}

/** The two tables: from `file` when it was written for these inputs and passes the spot check, else built. */
export function loadNamesTables(file = generatedLexTablesFile()): { tables: [main: LexTable, words: LexTable]; source: 'generated' | 'built' } {
  const files = lexiconFileBytes();
  const saved = readGeneratedLexTables(namesTablesKey(files), file);
  if (saved?.length === 2 && spotCheck(saved[0]!, saved[1]!, files)) return { tables: saved as [LexTable, LexTable], source: 'generated' };
  return { tables: buildNamesTables(), source: 'built' };
}

/**
 * Looks a few words of every input up in tables read from a file (a hashing change the key cannot see would make
 * them miss): the first lines of the first-name and English-word files, the first words of this file's lists.
 */
function spotCheck(main: LexTable, words: LexTable, files: LexiconFiles): boolean {
  const has = (tab: LexTable, w: string, flag: number) => (tab.get(w, 0, w.length) & flag) !== 0;
  const firstLines = (f: Buffer) => f.toString('utf8', 0, Math.min(f.length, 200)).split('\n').slice(0, 3).filter(Boolean);
  return (
    firstLines(files.firstNames).every((w) => has(main, w, LEX.FIRST)) &&
    firstLines(files.english).every((w) => has(words, w, LEX.WORD)) &&
    inCodeLists().every(([list, flag]) => [...list].slice(0, 3).every((w) => has(main, w, flag)))
  );
}

/** Builds the two tables from the lexicon files and this file's lists. */
export function buildNamesTables(): [main: LexTable, words: LexTable] {
  const lex = lexicons();
  const groups: [Iterable<string>, number][] = [
    [lex.firstNames, LEX.FIRST], [lex.lastNames, LEX.LAST], [lex.places, LEX.PLACE], [lex.regions, LEX.REGION],
    [lex.common, LEX.COMMON], [lex.companies, LEX.COMPANY], [lex.software, LEX.SOFTWARE], ...inCodeLists(),
    [new Set([...lex.places].filter((p) => p.includes(' ')).map((p) => p.slice(0, p.indexOf(' ')))), LEX.PHRASE_START],
  ];
  // Read only by the lower-cased path and the coined-word test, in a table of their own: in the main one they would
  // double its size (a power of two) and its cache misses on every capitalised word.
  const extra: [Iterable<string>, number][] = [[lex.english, LEX.WORD]];
  const build = (gs: [Iterable<string>, number][]) => {
    let size = 0;
    for (const [words] of gs) for (const _ of words) size++;
    return new LexTable(gs.flatMap(([words, f]) => [...words].map((w): [string, number] => [w, f])), size);
  };
  return [build(groups), build(extra)];
}

const isCommon = (t: Tok) => (t.f & LEX.COMMON) !== 0;

/** Finds persons, locations and organisations; `blocks` are address blocks (their capitalised lines are places). */
export function findNames(text: string, blocks: readonly Span[], want: { has(c: EntityCategory): boolean }): EntitySpan[] {
  const tab = lexTable();
  // In lower-cased text every word is a candidate, not only those an author capitalised: a lone lexicon word
  // ("max", "dev", "coral") then needs a cue before it is reported.
  let starts = capitalStarts(text);
  const lower = !titleSeen && LOWER_PAIR.test(text);
  if (lower) {
    const recased = recase(text, tab);
    // The capitalised words are the text's own (acronyms, "I") and those recase capitalised: merged in order.
    if (recased !== text) starts = mergeSorted(starts, capsGiven);
    text = recased;
  }
  const out: EntitySpan[] = [];
  const firms = firmSpans(text, tab);
  if (want.has('organization')) for (const f of firms) out.push({ category: 'organization', ...f });
  const c = new RunContext(text);
  let prevPersonEnd = -1;
  let covered = 0;
  // Runs no rule placed that stand in a list ("Lucid and Loveland Technologies"), and the persons and organisations
  // found: a listed run takes the category of its neighbour in the list (see coordinate).
  const listed: (Span & { fallback?: EntityCategory })[] = [];
  const seen: EntitySpan[] = [];
  for (const at of starts) {
    firstKeyEnd = -1;
    if (at < covered) continue;
    if (loneCommonWord(text, at, tab)) continue;
    RUN.lastIndex = at;
    const m = RUN.exec(text);
    if (!m) continue;
    covered = at + m[0].length;
    const all = tokens(text, m.index, covered, tab);
    // The tokens stop at a possessive, a sentence's full stop or an address word: what follows is read as a run of its own.
    covered = all[all.length - 1].end;
    let a = 0;
    let b = all.length;
    let honorific = false;
    while (a < b && all[a].f & (LEX.LEAD | LEX.HONORIFIC)) {
      if (all[a].f & LEX.HONORIFIC) honorific = true;
      a++;
    }
    // "Customer Jane Cooper (VIP)", "Ask Peter Miller", "CEO Anna Kowalski": an ordinary capitalised word or a role
    // (in no name, place or organisation lexicon) before a first name and a surname is the sentence's, not the name's.
    if (b - a === 3 && all[a].f & (LEX.COMMON | LEX.ORG_NEXT) && !(all[a].f & STRIP_NOT) && all[a + 1].f & LEX.FIRST && all[a + 2].f & (LEX.FIRST | LEX.LAST) && !(all[a + 2].f & ORG_OR_STREET) && !isInitial(all[a].text)) a++;
    while (a < b && all[b - 1].f & LEX.CONN) b--;
    // "from Can Capital": a capitalised lead word inside a sentence, before a company's last word, is the name's.
    if (a > 0 && !honorific && b - a === 1 && all[b - 1].f & LEX.ORG_SUFFIX && midSentence(text, all[0].start)) a = 0;
    if (a === b) continue;
    const toks = a === 0 && b === all.length ? all : all.slice(a, b);
    const start = toks[0].start;
    if (firms.length && firms.some((f) => start >= f.start && start < f.end)) continue;
    const last = toks[toks.length - 1];
    // A trailing full stop belongs to the sentence unless the word is an initial or an abbreviation; a possessive
    // ("Szczepańska's killers") is not part of the name and is read as context after it.
    const end = last.keyEnd === last.end - 2 ? last.end - 2 : last.keyEnd === last.end - 1 && !isInitial(last.text) && !(last.f & LEX.ORG_SUFFIX && LEGAL_ABBREVIATION.test(last.text)) ? last.end - 1 : last.end;
    // The words (no initials, no particles) and what the rules below ask about all of them, in one pass.
    let words = toks;
    let uncommon = 0;
    let never = 0;
    let named = false; // a first name or surname among them
    let company = false; // a word of company names that is nothing else ("Collibra")
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k];
      if (isInitial(t.text) || t.f & LEX.CONN) {
        if (words === toks) words = toks.slice(0, k);
        continue;
      }
      if (words !== toks) words.push(t);
      // A surname's ending counts in a run of several words (a lone word is read for it only by the cue rule below).
      if (toks.length > 1 && !(t.f & (NAME_LIKE | LEX.COMMON | LEX.LEAD | LEX.NEVER | LEX.CONN)) && surnameShape(text, t.start, t.keyEnd)) t.f |= LEX.LAST;
      if (!(t.f & LEX.COMMON)) uncommon++;
      if (t.f & LEX.NEVER) never++;
      if (t.f & (LEX.FIRST | LEX.LAST)) named = true;
      if (t.f & LEX.COMPANY && !(t.f & LEX.NEVER)) company = true;
    }
    if (!words.length || never === words.length) continue;
    const single = words.length === 1;
    const w0 = words[0];
    const wl = words[words.length - 1];
    const allCommon = uncommon === 0;
    const phrase = phraseFlags(text, words, 0, tab);
    const region = (phrase & LEX.REGION) !== 0;
    const inBlock = blocks.length > 0 && blocks.some((bl) => start >= bl.start && start < bl.end);
    // "University of Oslo", "Bank of the West": a word that heads an organisation's name, "of" and a capitalised run.
    const headEnd = single && w0.f & LEX.ORG_HEAD && text.startsWith(' of ', end) ? orgOfTail(text, end + 4, tab) : -1;
    // "Smith and Sons", "Lowe & Co.": a family firm's name.
    const kinEnd = text.charCodeAt(end) === 32 ? kinFirmEnd(text, end) : -1;
    // Most capitalised runs are ordinary words at a sentence start: skip them before any context is read.
    if (single && allCommon && !honorific && !region && !inBlock && headEnd < 0 && kinEnd < 0) continue;
    // "Ravil G Yefimov", "Erlendur G. Hafliðason": an initial between two capitalised words is a person's name.
    let middleInitial = false;
    if (toks.length >= 3 && !isInitial(toks[0].text) && !isInitial(last.text)) for (let k = 1; k < toks.length - 1 && !middleInitial; k++) middleInitial = isInitial(toks[k].text);
    // A lone all-capitals word is an acronym (IBAN, NASA) unless a cue says otherwise.
    const acronym = single && w0.text.length <= 6 && noLower(w0.text);
    const first = (w0.f & LEX.FIRST) !== 0;
    const lastName = words.length >= 2 && (wl.f & LEX.LAST) !== 0;
    const common0 = isCommon(w0);
    const place = ((w0.f & LEX.DIRECTION && words.length >= 2 ? phraseFlags(text, words, 1, tab) : phrase) & LEX.PLACE) !== 0;
    c.reset(start, end);

    let category: EntityCategory | null = null;
    let span = { start, end };
    if (words.length >= 3 && words.every((t) => t.text === t.text.toUpperCase())) continue; // shouting
    if (headEnd > 0 || kinEnd > 0) {
      category = 'organization';
      span = { start, end: Math.max(headEnd, kinEnd) };
      covered = Math.max(covered, span.end);
    }
    else if (words.length >= 2 && words.length <= 4 && wl.f & LEX.STREET_SUFFIX && !common0) category = 'street_address';
    else if (words.length >= 2 && (wl.f & LEX.ORG_SUFFIX || (wl.f & LEX.ORG_SUFFIX_WEAK && !allCommon && !(words[words.length - 2].f & LEX.COMMON) && !(phraseFlags(text, words.slice(0, -1), 0, tab) & (LEX.PLACE | LEX.REGION))))) category = 'organization';
    else if (orgAfter(text, end, c) || (!place && !first && ORG_BEFORE_STRICT(c))) category = 'organization';
    else if (honorific || (middleInitial && !place)) category = 'person';
    // A word of company names ("Collibra", "Lennar") ends the run: "Wikipedia Search API" is a product.
    else if (company && !place && wl.f & LEX.COMPANY) category = 'organization';
    else if (allCommon && !region && !(first && lastName)) {
      // ordinary words: only the rules above apply
      if (inList(text, start, end) && !never) listed.push({ start, end });
      continue;
    }
    // "Nora is very reliable", "Hakuba had given ...": a place's name that is also a person's, read as one by what follows.
    else if (single && place && !inBlock && (first ? strongAfterMay(text, end) : personOnlyAfterMay(text, end)) && (first ? PERSON_AFTER_STRONG : PERSON_ONLY_AFTER).test(c.after) && !STRONG_PLACE_BEFORE(c)) category = 'person';
    else if (region || (place && (STRONG_PLACE_BEFORE(c) || inBlock))) category = 'location';
    else if (inBlock && !first) category = 'location';
    // A letter's signature block: the line below the signer's name, or below a job title under it (then only words in
    // no name lexicon), is the signer's organisation, unless it repeats a person's name ("Alma Jensen" again).
    else if (prevPersonEnd >= 0 && !place && !first && /^[ \t]*(?:\n|$)/.test(text.slice(end, end + 4)) && (/^[ \t]*\n[ \t>?]*$/.test(text.slice(prevPersonEnd, start)) || (!named && SIGNATURE_GAP.test(text.slice(prevPersonEnd, start)))) && !namedBefore(text, seen, start, end)) category = 'organization';
    else if (words.length >= 2 && first && (lastName || !isCommon(wl)) && !(common0 && !lastName) && !place) category = 'person';
    else if (words.length >= 2 && words.length <= 3 && (first || lastName) && uncommon === words.length && !place) category = 'person';
    // "Rose Tyler", "Grace Hopper": a first name that is also a word, then one that is a name and no word.
    else if (words.length === 2 && first && wl.f & (LEX.FIRST | LEX.LAST) && !isCommon(wl) && !place && !(wl.f & ORG_OR_STREET)) category = 'person';
    else if (!place && !inBlock && nameLine(text, words, start, end)) category = 'person';
    else if (single && first && !common0 && !acronym && !lower && !STRONG_PLACE_BEFORE(c) && !(place && WEAK_PLACE_BEFORE(c))) category = 'person';
    else if (single && !common0 && !acronym && ((strongAfterMay(text, end) && PERSON_AFTER_STRONG.test(c.after)) || STRONG_PERSON(c) || SPEECH_BEFORE(c) || (dialogueMay(text, end) && DIALOGUE.test(c.after) && /(?:^|\n)[ \t>]*$/.test(c.before)))) category = 'person';
    else if (place && !STRONG_PERSON(c) && (!lower || !single || WEAK_PLACE_BEFORE(c))) category = 'location';
    else if (STRONG_PLACE_BEFORE(c) && !first && !allCommon) category = 'location';
    // "Rościsław Dudek of Lexisnexis": after a person, "of" or "from" names the person's organisation.
    else if (prevPersonEnd >= 0 && !allCommon && /^[ \t]*(?:is )?(?:from|of)[ \t]*$/.test(text.slice(prevPersonEnd, start))) category = 'organization';
    // A lone unknown capitalised word after "in", "at", "from": a place, unless it is two English words run together
    // ("Corelogic", "Opencounter"), which is how brands are coined and seldom how places are named.
    else if (single && !common0 && !acronym && !first && !(w0.f & LEX.LAST) && placeAfterMay(text, end) && WEAK_PLACE_BEFORE(c) && /^(?:\p{Lu}[\p{Ll}\p{M}'’-]{3,}|\p{Lu}{5,}(?<!S))$/u.test(w0.text) && /^(?:[ \t]*[,.:;)]|[ \t]+(?:this|to|on|in|and|\d))/.test(c.after)) {
      // "At Paxata, we believe ...": a place does not speak as "we".
      // Nor is a word in no lexicon after "at": towns are "in" a sentence, companies and institutions "at" ("an intern
      // at Xyloq"); a town the gazetteer knows was read as a place above.
      category = coined(text, w0, tab) || /^, (?:we|our)\b/i.test(c.after) || (c.lastWord === 'at' && unknownProperNoun(text, w0)) ? 'organization' : 'location';
      // In a list, what the other members are decides ("from Zentrix and Loveland Technologies").
      if (category === 'location' && inList(text, start, end)) {
        listed.push({ start, end, fallback: 'location' });
        continue;
      }
    }
    else if (!allCommon && (named || uncommon >= 2 || (single && surnameShape(text, w0.start, w0.keyEnd))) && words.length <= 4 && (PERSON_BEFORE(c) || (personAfterMay(text, end) && PERSON_AFTER.test(c.after)))) category = 'person';
    else if (!allCommon && !common0 && STRONG_PERSON(c) && words.length <= 4) category = 'person';
    else if (words.length >= 2) {
      // "Carry Me Back To Canada", "Southern Tunisia": a known place at the end of a longer run.
      for (let i = 1; i < words.length && !category; i++) {
        const tail = phraseFlags(text, words, i, tab);
        // Not a tail of ordinary words only ("UPTON SCUDAMORE Country Club": "Country Club" is also a town's name).
        if ((tail & LEX.REGION || (tail & LEX.PLACE && !(tail & LEX.FIRST))) && words.slice(i).some((t) => !isCommon(t))) {
          category = 'location';
          span = { start: words[i].start, end };
        }
      }
    }
    // "the Paxata account", "Lucid is hiring", "Areavibes, Inc.": what follows an unplaced run names a company's things.
    if (!category && !place && !first && !acronym && !never && ((ORG_NOUN_LEAD.has(c.lastWord) && nextWordFlags(text, end, tab) & LEX.ORG_NEXT && ORG_NOUN_AFTER.test(c.afterLower)) || ORG_BEFORE_LATE(c) || (orgAfterLateMay(text, end) && ORG_AFTER_LATE.test(c.afterLower)))) category = 'organization';
    // "recorded for Xyloq", "a grant from Xyloq": a lone word in no lexicon (no name, place or English word) after a
    // preposition that takes organisations; without the preposition such words are as often products ("Reflexion").
    if (!category && single && !acronym && ORG_PREPOSITION.has(c.lastWord) && unknownProperNoun(text, w0)) category = 'organization';
    if (!category) {
      if (!place && !acronym && !never && inList(text, start, end)) listed.push({ start, end });
      continue;
    }
    if (category === 'person' && !honorific && product(words)) continue;
    if (category === 'person') prevPersonEnd = end;
    if (category === 'person' || category === 'organization') seen.push({ category, start: span.start, end: span.end });
    if (want.has(category)) out.push({ category, start: span.start, end: span.end });
  }
  if (listed.length) coordinate(text, listed, firms.length ? seen.concat(firms.map((f) => ({ category: 'organization' as const, ...f }))).sort((x, y) => x.start - y.start) : seen, want, out);
  return out;
}

// Before an unplaced run: what a company is to the writer ("my bank X", "the startup X", "a company called X").
const ORG_BEFORE_LATE = cue(
  /\b(?:company|firm|startup|employer|client|vendor|supplier|brand|retailer|insurer|carrier|airline|manufacturer|publisher|agency|bank|lender|provider)(?: called| named)?[ \t:]*$/,
  'company firm startup employer client vendor supplier brand retailer insurer carrier airline manufacturer publisher agency bank lender provider called named',
);
// The words before "X account", "X employees" in English ("the", "my", "at"): the rule is read only after one of them
// (text in other languages capitalises many words that no rule places: German nouns).
const ORG_NOUN_LEAD = new Set('the my our your his her their a an at with from for by of to is was and or'.split(' '));
// The first words of ORG_NOUN_AFTER's alternatives: the regex runs only when the word after the run is one of them.
const ORG_NOUN_FIRST = new Set('customer support account app website web online store stores team employees staff stock shares headquarters hq ceo cfo cto founder founders logo brand subscription membership platform api sdk dashboard portal offices branch branches careers job internship recruiter recruiters shareholders board employee customers subscriber subscribers representative representatives rep spokesperson spokesman spokeswoman executive executives product products services devices credit gift loyalty rewards order orders delivery invoice refund receipt contract merger ipo earnings revenue profit profits press is has had acquired laid raised filed was inc llc ltd corp plc gmbh'.split(' '));

/** Lexicon flags of the word after `end` (after a space, or a comma and a space), or 0. */
function nextWordFlags(text: string, end: number, tab: LexTable): number {
  let i = end;
  if (text.charCodeAt(i) === 44) i++;
  if (text.charCodeAt(i) !== 32) return 0;
  const s = ++i;
  while (i < text.length && i - s <= 16 && kindAt(text, i) !== 3) i++;
  return i > s ? tab.get(text, s, i) : 0;
}
const ORG_NOUN_AFTER = /^(?: (?:customer (?:service|support|care)|support team|account|app|website|web ?site|online store|stores?|team|employees|staff|stock|shares|headquarters|hq|ceo|cfo|cto|founders?|logo|brand|subscription|membership|platform|api|sdk|dashboard|portal|offices|branch(?:es)?|careers|job (?:offer|posting|interview)|internship|recruiters?|shareholders|board|employee|customers?|subscribers?|representatives?|rep|spokes(?:person|man|woman)|executives?|products?|services|devices|credit card|gift card|loyalty|rewards|order|orders|delivery|invoice|refund|receipt|contract|merger|ipo|earnings|revenue|profits?|press release)\b| is hiring\b| (?:has|had) (?:offices|branches|stores|employees)\b| (?:acquired|laid off|raised \$|filed for|was founded|is headquartered)|,? (?:inc|llc|ltd|corp|plc|gmbh)\b)/;

const AMP_FIRM = /(?<![\p{L}\p{M}])(\p{Lu}[\p{Ll}\p{M}'’-]+) & (\p{Lu}[\p{Ll}\p{M}'’-]+)(?![\p{L}\p{M}])/uy;

/** Partnership names: "Davis, Reynolds and Williamson" (surnames only) and "Ernst & Young". */
function firmSpans(text: string, tab: LexTable): Span[] {
  const firms: Span[] = [];
  if (text.includes(',')) {
    for (const m of firmMatches(text)) {
      const names = m[0].split(/,?[ \t](?:and[ \t]|&[ \t])?/);
      if (names.every((n) => tab.get(n, 0, keyEnd(n, 0, n.length)) & LEX.LAST)) firms.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  // "Ernst & Young", "Procter & Gamble", "Smith & Sons": two capitalised words joined by "&" name a firm (people are
  // joined by "and"), unless both are given names only or either is a product, place or ordinary word alone.
  // One-character search for "&" (a fast scan), then the spaces around it.
  for (let at = text.indexOf('&'); at >= 0; at = text.indexOf('&', at + 1)) {
    if (text.charCodeAt(at - 1) !== 32 || text.charCodeAt(at + 1) !== 32) continue;
    const amp = at - 1;
    // The first word's start, read back from the "&" (letters, marks, apostrophes, hyphens); the regex runs there only.
    let w = amp;
    while (w > 0 && amp - w < 40 && firmClassOf(text.charCodeAt(w - 1)) & 3) w--;
    if (w === amp || !(firmClassOf(text.charCodeAt(w)) & 4)) continue;
    AMP_FIRM.lastIndex = w;
    const m = AMP_FIRM.exec(text);
    if (!m || m.index + m[1].length !== amp) continue;
    const a = tab.get(m[1], 0, keyEnd(m[1], 0, m[1].length));
    const b = tab.get(m[2], 0, keyEnd(m[2], 0, m[2].length));
    if (!(givenOnly(a) && givenOnly(b)) && !ampBad(a) && !ampBad(b) && !firms.some((f) => f.start < m.index + m[0].length && m.index < f.end)) firms.push({ start: m.index, end: m.index + m[0].length });
  }
  return firms;
}

const givenOnly = (f: number): boolean => (f & LEX.FIRST) !== 0 && !(f & LEX.LAST);
const ampBad = (f: number): boolean => (f & (LEX.NEVER | LEX.PLACE | LEX.REGION | LEX.LEAD)) !== 0 || ((f & LEX.COMMON) !== 0 && !(f & LEX.LAST));

// Between two members of a list: ", ", " and ", ", and ", " & ", " or ".
const LIST_SEP = /^(?:,[ \t]+(?:(?:and|&|or)[ \t]+)?|[ \t]+(?:and|&|or)[ \t]+)$/;

/** Whether `text` has `word` ending at `end` after a space or tab (ASCII, lower case). */
function wordBefore(text: string, end: number, word: string): boolean {
  const s = end - word.length;
  if (s < 1) return false;
  const sp = text.charCodeAt(s - 1);
  if (sp !== 32 && sp !== 9) return false;
  for (let k = 0; k < word.length; k++) if (text.charCodeAt(s + k) !== word.charCodeAt(k)) return false;
  return true;
}

/** Whether the run `text[start, end)` has a list separator on either side. */
function inList(text: string, start: number, end: number): boolean {
  const b = text.charCodeAt(start - 1);
  if (b === 32 || b === 9) {
    const b2 = text.charCodeAt(start - 2);
    if (b2 === 44 || (b2 === 100 && wordBefore(text, start - 1, 'and')) || (b2 === 38 && wordBefore(text, start - 1, '&')) || (b2 === 114 && wordBefore(text, start - 1, 'or'))) return true;
  }
  const a = text.charCodeAt(end);
  if (a === 44) return text.charCodeAt(end + 1) === 32;
  if (a !== 32) return false;
  const n = text.charCodeAt(end + 1);
  return (n === 97 && text.startsWith(' and ', end)) || (n === 38 && text.startsWith(' & ', end)) || (n === 111 && text.startsWith(' or ', end));
}

/**
 * Members of a list share a kind: unplaced runs in a list with an organisation ("Lucid and Loveland Technologies")
 * are organisations, in a list with persons only ("Marrero and Kowalczyk") persons.
 */
function coordinate(text: string, listed: (Span & { fallback?: EntityCategory })[], seen: EntitySpan[], want: { has(c: EntityCategory): boolean }, out: EntitySpan[]): void {
  // Most listed runs ("Kraków, " in an address) have no finding within a separator's length: nothing to read. Both
  // lists are in text order, so one walk finds whether any listed run has one.
  let near = false;
  for (let i = 0, j = 0; i < listed.length && !near; i++) {
    const l = listed[i];
    while (j < seen.length && seen[j].end < l.start - 6) j++;
    for (let k = j; k < seen.length && seen[k].start <= l.end + 6 && !near; k++) {
      const f = seen[k];
      near = (f.end <= l.start && l.start - f.end <= 6) || (l.end <= f.start && f.start - l.end <= 6);
    }
  }
  if (!near) {
    for (const l of listed) if (l.fallback && want.has(l.fallback)) out.push({ category: l.fallback, start: l.start, end: l.end });
    return;
  }
  const nodes: { start: number; end: number; category: EntityCategory | null; fallback?: EntityCategory }[] = [
    ...seen, ...listed.map((l) => ({ ...l, category: null })),
  ].sort((x, y) => x.start - y.start);
  for (let i = 0; i < nodes.length; ) {
    let j = i + 1;
    while (j < nodes.length && nodes[j].start - nodes[j - 1].end <= 6 && nodes[j].start >= nodes[j - 1].end && LIST_SEP.test(text.slice(nodes[j - 1].end, nodes[j].start))) j++;
    const group = nodes.slice(i, j);
    // A list ends with "and", "&" or "or": "Anna Nowak, Kraków" is a name and a place, not a list.
    const conjoined = group.some((n, k) => k > 0 && /[a-z&]/.test(text.slice(group[k - 1].end, n.start)));
    const category = !conjoined ? null : group.some((n) => n.category === 'organization') ? 'organization' : group.some((n) => n.category === 'person') ? 'person' : null;
    for (const n of group) {
      const c = n.category ? null : category ?? n.fallback;
      if (c && want.has(c)) out.push({ category: c, start: n.start, end: n.end });
    }
    i = j;
  }
}

// "Kevin Veitonen II", "John Smith Jr.": a generation after a name is no product's version.
const GENERATION = /^(?:II|III|IV|Jr\.?|Sr\.?)$/;

/** "Gemini Ultra", "Meta AI", "Bicep CLI", "OpenAI GPT": product names, not people. */
function product(words: readonly Tok[]): boolean {
  return (words[0].f & LEX.NEVER) !== 0 || (words.length >= 2 && words.some((t) => upperAfterFirst(t.text) && !GENERATION.test(t.text) && (/^\p{Lu}{2,5}$/u.test(t.text) || /^(?!Mc|Mac|O['’]|D['’]|De|Di|La|Le|Van|Von)\p{Lu}?\p{Ll}+\p{Lu}/u.test(t.text)))) || techName(words);
}

/**
 * "Apache Kafka", "Redis Streams", "Max Pooling": a word of software or company names that is no person's name, or
 * a last word in no surname list with an English noun's ending, makes a run a product or a term, not a person.
 */
function techName(words: readonly Tok[]): boolean {
  if (words.length < 2) return false;
  if (words.some((t) => t.f & (LEX.SOFTWARE | LEX.COMPANY) && !(t.f & (LEX.FIRST | LEX.LAST)))) return true;
  const wl = words[words.length - 1];
  return !(wl.f & LEX.LAST) && TERM_ENDING.test(wl.text.toLowerCase());
}
// Endings of English nouns that names seldom have (not "-ed" or "-ly": Ahmed, Sayed, Reilly).
const TERM_ENDING = /(?:ing|tion|sion|ment|ness|ity|ism|ization|isation)$/;

/**
 * Both product regexes need an upper-case letter after the first character: a word whose other characters are ASCII
 * and not capitals ("Smith") is neither, without running them (a character beyond ASCII is left to the regexes).
 */
function upperAfterFirst(s: string): boolean {
  for (let k = 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 128 || (c >= 65 && c <= 90)) return true;
  }
  return false;
}

/** A line that is only two or three capitalised words at the top of a text or block: a letter's or card's name. */
function nameLine(text: string, words: readonly Tok[], start: number, end: number): boolean {
  return words.length >= 2 && words.length <= 3 && words.every((t) => !isCommon(t)) && /(?:^|\n)[ \t>?]*$/.test(text.slice(Math.max(0, start - 8), start)) && /^[ \t]*(?:\n|$)/.test(text.slice(end, end + 4));
}

/** The lone-place rule's after-regex can match at `end`: [ \t]* then [,.:;)], or [ \t]+ and a word. */
function placeAfterMay(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  return c === 32 || c === 9 || c === 44 || c === 46 || c === 58 || c === 59 || c === 41;
}

// The first words of ORG_AFTER_LATE's alternatives after a space or a comma, read straight from the text (sticky, no
// slice): most unplaced runs are followed by " and", " is a", ", " and a word, which none of them start with.
const ORG_LATE_HEAD = / (?:announced|reported|hire[sd]|is (?:hiring|based|headquartered)|laid off|employs|manufactures|was (?:founded|acquired)|has acquired|went public|filed for|shares|stock|\()|, (?:which|that|an?|the) /iy;

/** ORG_AFTER_LATE can match at `end`: "'s" or ORG_LATE_HEAD. */
function orgAfterLateMay(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  if (c === 39 || c === 0x2019) return lowerAscii(text.charCodeAt(end + 1)) === 115;
  if (c !== 32 && c !== 44) return false;
  ORG_LATE_HEAD.lastIndex = end;
  return ORG_LATE_HEAD.test(text);
}

/** ORG_AFTER on the lower-cased text after the run; every alternative starts with a space or a comma. */
function orgAfter(text: string, end: number, c: RunContext): boolean {
  const ch = text.charCodeAt(end);
  if (ch === 39 || ch === 0x2019) return text.charCodeAt(end + 1) === 115 && text.charCodeAt(end + 2) === 32 && inBits(lowerAscii(text.charCodeAt(end + 3)), ORG_POSSESSED_NEXT) && ORG_AFTER.test(c.afterLower);
  if (ch !== 32 && ch !== 44) return false;
  // Every alternative goes on with a space (after a comma) or one of ORG_AFTER_NEXT (lower-cased; a character beyond
  // ASCII may lower-case to anything, so it is left to the regex).
  const next = text.charCodeAt(end + 1);
  if (next < 128 && (ch === 44 ? next !== 32 : !inBits(next >= 65 && next <= 90 ? next + 32 : next, ORG_AFTER_NEXT))) return false;
  return ORG_AFTER.test(c.afterLower);
}

const STRONG = /(?:(?:your|my|his|her) (?:last |first |full |maiden )?name(?: is)?\??|my name is|name is|names? (?:on|in) the account(?: is)?|call me|calls me|called|named(?: \w+)?|user:|name:|directed by:?|starring|maiden name is|beneficiary|guardian|signed|sincerely,?|regards,?)[ \t:,]*(?:\n[ \t>]*)?$/;
const STRONG_PERSON = cue(STRONG, 'name is account me called named him her user by starring beneficiary guardian signed sincerely regards');

// Lower-cased text ("my name is lena andersson", chat typed without capitals): the rules above read capitals, so such
// a text is first given them where a capital would stand in edited text (same length, same offsets): on words of the
// name and place lexicons that are not ordinary words, on multi-word place names ("new york"), on an initial between
// two such words, on the words after a strong cue ("my name is", "call me", "name:") and on the words before a
// legal-form suffix ("stillwater supercomputing inc."). Ordinary words stay lower-case, so "will" or "may" never start
// a name here.
const LC_STRONG = new RegExp(`(?:(?:my|our|his|her|their|your) (?:${RELATION})|(?:my|his|her|your) (?:(?:last|first|full|maiden) )?name(?: is)?|name is|call me|calls me|called|named|name:|i'm|i am|this is|dear|hi|hello|signed|regards,?|sincerely,?|follow up with|speak to|talk to|contact|ask for|mr\\.?|mrs\\.?|ms\\.?|dr\\.?|work(?:s|ed|ing)? (?:for|at)|employed (?:by|at)|support|joined|recorded for)[ \\t:,]*(?:\\n[ \\t>]*)?$`);
const LC_STRONG_LAST = new Set(`is me called named name i'm am dear hi hello signed regards sincerely with to contact for mr mrs ms dr at by support joined ${RELATION.replace('neighbou?r', 'neighbor neighbour').replace('fianc[eé]e?', 'fiance fiancé fiancee fiancée').replaceAll('|', ' ')}`.split(' '));
const ENGLISH_ENDING = /(?:ing|ed|ly|tion|sion|ment|ness|able|ible|ful|less|ous|ive|ity|ism|ize|ization|isation)$/;
const LEGAL_SUFFIX = new Set(['inc', 'ltd', 'llc', 'llp', 'gmbh', 'corp', 'corporation', 'plc']);
// A legal form's abbreviation keeps its full stop ("Acme Inc."); a company's last word at a sentence's end does not
// ("… to Blue Harbor Logistics.").
const LEGAL_ABBREVIATION = /^(?:inc|ltd|llc|llp|lp|gmbh|ag|kg|corp|co|plc|sa|sas|sarl|srl|spa|bv|nv|oy|ab|as|asa|pty|bros|pvt|ltda|oyj|aps|kft|zrt|sro|bhd|tbk|kk|ulc|pllc|intl|assn|mfg)\.$/i;
const NAME_LIKE = LEX.FIRST | LEX.LAST | LEX.PLACE | LEX.REGION;
// Words that make a run an organisation's or a street's name ("Royal Bank", "Queen Anne Street").
const ORG_OR_STREET = LEX.ORG_HEAD | LEX.ORG_SUFFIX | LEX.ORG_SUFFIX_WEAK | LEX.STREET_SUFFIX | LEX.DIRECTION | LEX.COMPANY | LEX.ADDRESS;
// A run's first word that may belong to the name: never stripped from before one.
const STRIP_NOT = NAME_LIKE | ORG_OR_STREET;
const PLAIN = LEX.COMMON | LEX.WORD | LEX.LEAD | LEX.NEVER | LEX.CONN;

/** Word starts that recase capitalised, in order (read by findNames right after the call). */
let capsGiven: number[] = [];

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out.push(a[i++]);
    else if (i >= a.length || b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  return out;
}

function recase(text: string, tab: LexTable): string {
  // Words: maximal runs of word characters (letters, marks, digits, apostrophes); keys without a possessive.
  const ws: number[] = [];
  const we: number[] = [];
  const wke: number[] = [];
  const wf: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (kindAt(text, i) === 3) {
      i++;
      continue;
    }
    let e = i;
    let digit = false;
    for (; e < text.length && kindAt(text, e) !== 3; e++) {
      const c = text.charCodeAt(e);
      if (c >= 48 && c <= 57) digit = true;
    }
    if (digit) {
      i = e; // a number or code: never a name, and never between the words of one
      continue;
    }
    const ke = keyEnd(text, i, e);
    let f = ke - i >= 2 ? tab.get(text, i, ke) : 0;
    // The less common English words are looked up only for words the main table leaves open.
    if (!(f & PLAIN) && ke - i >= 3) f |= wordTable!.get(text, i, ke);
    if (!(f & (NAME_LIKE | PLAIN)) && surnameShape(text, i, ke)) f |= LEX.LAST;
    ws.push(i);
    we.push(e);
    wke.push(ke);
    wf.push(f);
    i = e;
  }
  const n = ws.length;
  const cap = new Uint8Array(n);
  /** Word i follows word i - 1 after spaces or tabs only. */
  const adjacent = (i: number): boolean => {
    if (i <= 0 || ws[i] === we[i - 1]) return false;
    for (let k = we[i - 1]; k < ws[i]; k++) if (text.charCodeAt(k) !== 32 && text.charCodeAt(k) !== 9) return false;
    return true;
  };
  for (let i = 0; i < n; i++) {
    if (wf[i] & NAME_LIKE && !(wf[i] & PLAIN)) cap[i] = 1;
    // "new york", "czech republic", "united kingdom"
    for (let k = 3; k >= 2 && !cap[i] && wf[i] & LEX.PHRASE_START; k--) {
      if (i + k > n || !adjacent(i + 1) || (k === 3 && !adjacent(i + 2))) continue;
      if (tab.phrase(text, ws, wke, i, i + k) & (LEX.PLACE | LEX.REGION)) cap.fill(1, i, i + k);
    }
  }
  for (let i = 0; i < n; i++) {
    const f = wf[i];
    // After a strong cue: up to three words that are not ordinary words.
    if (!cap[i] && !(f & PLAIN) && LC_STRONG_LAST.has(lastWordAt(text, ws[i]) ?? '') && LC_STRONG.test(text.slice(Math.max(0, ws[i] - 40), ws[i]))) {
      for (let k = i; k < Math.min(n, i + 3) && !(wf[k] & PLAIN) && (k === i || adjacent(k)); k++) cap[k] = 1;
    }
    // Before what only a person does or has: "cormac had given", "warrane's wife".
    if (!cap[i] && !(f & PLAIN) && wke[i] - ws[i] >= 3 && personOnlyAfterMay(text, wke[i]) && PERSON_ONLY_AFTER.test(text.slice(wke[i], wke[i] + 40))) cap[i] = 1;
    // A given name and the word after it that is no ordinary word: "eva kleist".
    // Not a word with an English derivational ending ("max pooling", "eva cleaning").
    if (cap[i] && f & LEX.FIRST && i + 1 < n && !cap[i + 1] && !(wf[i + 1] & (PLAIN | LEX.STREET_SUFFIX | LEX.ORG_SUFFIX | LEX.ADDRESS)) && wke[i + 1] - ws[i + 1] >= 3 && adjacent(i + 1) && !ENGLISH_ENDING.test(text.slice(ws[i + 1], wke[i + 1]))) cap[i + 1] = 1;
    // An initial between two name words: "benjamin a seiler", "eric g. samoylova".
    if (!cap[i] && wke[i] - ws[i] === 1 && i > 0 && i + 1 < n && cap[i - 1] && cap[i + 1] && adjacent(i) && (adjacent(i + 1) || text.charCodeAt(we[i]) === 46)) cap[i] = 1;
    // "stillwater supercomputing inc.": the words before a legal form.
    if (f & LEX.ORG_SUFFIX && i > 0 && adjacent(i) && LEGAL_SUFFIX.has(text.slice(ws[i], wke[i]))) {
      cap[i] = 1;
      for (let k = i - 1; k >= Math.max(0, i - 3) && !(wf[k] & (LEX.LEAD | LEX.CONN)) && adjacent(k + 1); k--) cap[k] = 1;
    }
    if (f & LEX.HONORIFIC && wke[i] - ws[i] >= 2 && i + 1 < n && cap[i + 1]) cap[i] = 1;
  }
  // Built with join, a flat string: a concatenation (cons string) read by charCodeAt in the scan's hot loops would
  // make them generic for every text that follows.
  const out: string[] = [];
  capsGiven = [];
  let from = 0;
  for (let i = 0; i < n; i++) {
    if (!cap[i]) continue;
    const s = ws[i];
    const up = text[s].toUpperCase();
    if (up.length !== 1 || up === text[s]) continue;
    out.push(text.slice(from, s), up);
    capsGiven.push(s);
    from = s + 1;
  }
  if (from === 0) return text;
  out.push(text.slice(from));
  return out.join('');
}

// Surname endings of European and neighbouring languages (Slavic -ov/-ova/-ski/-ić, Nordic -sson/-sen/-dóttir,
// Finnish -nen, Greek -poulos/-idis/-akis, Georgian -shvili/-dze, Romanian -escu, Italian -elli/-ucci, Spanish -ez,
// Armenian -yan; Mc-, O'-): a capitalised word in no lexicon with such an ending is read as a surname.
const SURNAME_ENDINGS = 'ov ev ova eva ski ska sky skaya cki cka wicz vich ovic evic vić vič ić enko chuk czuk czyk ová ská cká sson sen dóttir dottir nen poulos idis akis oğlu oglu shvili dze escu eanu ucci elli etti otti ez yan'.split(' ');
// The endings by their last two letters: most words are rejected on those two without reading further.
const ENDINGS_BY_PAIR = new Map<number, string[]>();
for (const e of SURNAME_ENDINGS) {
  const key = e.charCodeAt(e.length - 2) * 65536 + e.charCodeAt(e.length - 1);
  ENDINGS_BY_PAIR.set(key, [...(ENDINGS_BY_PAIR.get(key) ?? []), e]);
}

const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/**
 * A letter, then lower-case letters (marks, apostrophes, hyphens) ending in one of SURNAME_ENDINGS with at least three
 * characters before it; or Mc / O' and a capitalised word of three letters or more ("McDowell", "O'Brien").
 */
function surnameShape(text: string, s: number, ke: number): boolean {
  if (ke - s < 5) return false;
  const c0 = text.charCodeAt(s);
  if ((c0 === 77 && text.charCodeAt(s + 1) === 99) || (c0 === 79 && (text.charCodeAt(s + 1) === 39 || text.charCodeAt(s + 1) === 0x2019))) {
    if (kindAt(text, s + 2) !== 1) return false;
    for (let k = s + 3; k < ke; k++) if (!isLowerLetter(text.charCodeAt(k))) return false;
    return true;
  }
  const endings = ENDINGS_BY_PAIR.get(lowerAscii(text.charCodeAt(ke - 2)) * 65536 + lowerAscii(text.charCodeAt(ke - 1)));
  if (!endings || (c0 >= 48 && c0 <= 57) || kindAt(text, s) === 3) return false;
  for (let k = s + 1; k < ke; k++) {
    const c = text.charCodeAt(k);
    if (!isLowerLetter(c) && c !== 39 && c !== 0x2019 && c !== 45) return false;
  }
  for (const e of endings) {
    const from = ke - e.length;
    if (from - s < 3) continue;
    let k = 0;
    while (k < e.length && lowerAscii(text.charCodeAt(from + k)) === e.charCodeAt(k)) k++;
    if (k === e.length) return true;
  }
  return false;
}

/** A lower-case letter or a mark (ASCII a–z, or beyond ASCII a word character that is no capital and no digit). */
function isLowerLetter(c: number): boolean {
  if (c < 128) return c >= 97 && c <= 122;
  let v = lowerLetter[c];
  if (v === 0) {
    const ch = String.fromCharCode(c);
    v = /[\p{L}\p{M}]/u.test(ch) && !/\p{Lu}/u.test(ch) ? 1 : 2;
    lowerLetter[c] = v;
  }
  return v === 1;
}
const lowerLetter = new Int8Array(65536); // 0 = not yet known, 1 = lower-case letter or mark, 2 = other


const BRAND_PREFIXES = ['i', 'e', 'my', 'go', 'get'];
const BRAND_SUFFIXES = ['ly', 'ify', 'db', 'hub', 'io', 'lytics', 'ster'];
const WORDISH = LEX.COMMON | LEX.WORD;

/**
 * A brand-like coined word: two English words run together ("Corelogic", "Opencounter", "Flightaware"), or an English
 * word with a brand prefix or suffix ("Irecycle", "Estately", "Slashdb"). Names in a lexicon are not coined.
 */
function coined(text: string, t: Tok, tab: LexTable): boolean {
  const s = t.start;
  const e = t.keyEnd;
  if (e - s < 6 || t.f & NAME_LIKE || t.f & WORDISH || t.f & LEX.SOFTWARE) return false; // "Webpack" is a tool
  const word = (from: number, to: number) => ((tab.get(text, from, to) | wordTable!.get(text, from, to)) & WORDISH) !== 0;
  if (wordTable!.get(text, s, e) & LEX.WORD) return false;
  for (let k = s + 3; k <= e - 3; k++) if (word(s, k) && word(k, e)) return true;
  const lower = text.slice(s, e).toLowerCase();
  for (const p of BRAND_PREFIXES) if (lower.startsWith(p) && e - s - p.length >= 4 && word(s + p.length, e)) return true;
  for (const x of BRAND_SUFFIXES) if (lower.endsWith(x) && e - s - x.length >= 4 && word(s, e - x.length)) return true;
  return false;
}

/** Whether the word at `at` stands inside a sentence: a lower-case letter or a comma before it (spaces skipped). */
function midSentence(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i--;
  if (i < 0 || i === at - 1) return false;
  const c = text.charCodeAt(i);
  return (c >= 97 && c <= 122) || c === 44;
}

/**
 * The end of the capitalised run after an organisation's head word and "of" ("Oslo" of "University of Oslo", "the
 * West" of "Bank of the West"), starting at `from` (after "of "); -1 when no capitalised word follows or it is a place.
 */
function orgOfTail(text: string, from: number, tab: LexTable): number {
  let p = from;
  if (text.startsWith('the ', p)) p += 4;
  if (kindAt(text, p) !== 1) return -1;
  RUN.lastIndex = p;
  const m = RUN.exec(text);
  if (!m) return -1;
  const ts = tokens(text, p, p + m[0].length, tab);
  const t = ts[ts.length - 1];
  // A known place is read as one ("University of Oslo": the place is what identifies, and what gets replaced).
  if (ts.every((x) => x.f & (LEX.NEVER | LEX.LEAD)) || phraseFlags(text, ts, 0, tab) & (LEX.PLACE | LEX.REGION)) return -1;
  return t.keyEnd === t.end - 2 || (t.keyEnd === t.end - 1 && !isInitial(t.text)) ? t.keyEnd : t.end;
}

const KIN_FIRM = /(?: and| &) (?:Sons|Co\.?|Company)(?![\p{L}\p{M}])/uy;

/** The end of " and Sons", " & Co." right after a name at `end`, or -1. */
function kinFirmEnd(text: string, end: number): number {
  const n = text.charCodeAt(end + 1);
  // " & " or " and ", read before the regex (a lone common word is often followed by " a…": "There are", "It also").
  if (n === 97 ? text.charCodeAt(end + 2) !== 110 || text.charCodeAt(end + 3) !== 100 || text.charCodeAt(end + 4) !== 32 : n !== 38) return -1;
  KIN_FIRM.lastIndex = end;
  return KIN_FIRM.test(text) ? KIN_FIRM.lastIndex : -1;
}

/**
 * A capitalised word in no lexicon at all (no name, place, company, software, common or less common English word, no
 * surname ending), of four letters or more, lower case after its capital (not "TypedArray" or "JSON"), not part of a
 * URL, a path, an e-mail or code (no "/", ".", "@", "_", "`" glued to it), and not followed by AFTER_UNKNOWN.
 */
function unknownProperNoun(text: string, t: Tok): boolean {
  const s = t.start;
  const e = t.keyEnd;
  if (t.f !== 0 || e - s < 4) return false;
  const c0 = text.charCodeAt(s);
  if (c0 < 65 || c0 > 90) return false;
  for (let k = s + 1; k < e; k++) {
    const c = text.charCodeAt(k);
    if (c < 97 || c > 122) return false;
  }
  if (wordTable!.get(text, s, e) & LEX.WORD || surnameShape(text, s, e)) return false;
  const b = text.charCodeAt(s - 1);
  if (b === 47 || b === 46 || b === 64 || b === 96 || b === 95 || b === 45) return false;
  const a = text.charCodeAt(e);
  if ((a === 46 || a === 47 || a === 40 || a === 96 || a === 95 || a === 64) && kindAt(text, e + 1) !== 3) return false;
  return !AFTER_UNKNOWN.test(text.slice(e, e + 16));
}
// After an unknown word: a number (a street), "et al." (an author), an eponym's possessive ("Nagle's algorithm").
const AFTER_UNKNOWN = /^(?:[ \t]*(?:\d|et al)|['’]s (?:algorithm|method|law|theorem|lemma|principle|rule|equation|constant|conjecture|paradox|effect|test|distribution|syndrome|disease))/;

// A signature block: the signer's line, at most one line without digits (a job title), then this run's line.
const SIGNATURE_GAP = /^[ \t]*\n[ \t>?]*(?:[^\n\d]{2,60}\n[ \t>?]*)?$/;

/** Whether a person found earlier in the text has the same name as `text[start, end)` (a letter repeats its signer). */
function namedBefore(text: string, seen: readonly EntitySpan[], start: number, end: number): boolean {
  const n = end - start;
  return seen.some((f) => f.category === 'person' && f.end - f.start === n && text.startsWith(text.slice(start, end), f.start));
}
