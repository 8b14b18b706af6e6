// Person names, locations and organisations without a model: runs of capitalised words are looked up in the shipped
// lexicons (first names, surnames, places) and read with the words around them ("my name is", "Mr.", "grew up in",
// "works for", "Inc."). Precision comes from requiring two signals for anything but a lexicon-confirmed full name.
import { lexicons } from './lexicons.js';
import type { Span } from './address.js';

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

/** Start offsets of capitalised words: an upper-case letter not preceded by a word character. */
function capitalStarts(text: string): number[] {
  const out: number[] = [];
  let prevWord = false;
  for (let i = 0; i < text.length; i++) {
    const k = kindAt(text, i);
    if (k === 1 && !prevWord) out.push(i);
    prevWord = k !== 3;
  }
  return out;
}

/**
 * Fast rejection of the commonest case, a lone capitalised ordinary word ("The", "However", "This"): no regex,
 * no context read. True when the word at `at` is a common or lead word and no capitalised word follows it.
 */
function loneCommonWord(text: string, at: number, lex: { common: ReadonlySet<string> }): boolean {
  let j = at + 1;
  while (j < text.length && kindAt(text, j) !== 3) j++;
  const w = text.slice(at, j).toLowerCase();
  if (!lex.common.has(w) && !LEAD.has(w)) return false;
  if (HONORIFIC.has(w)) return false;
  // Followed by " X" with X upper case: part of a longer run, read it properly.
  return !(text.charCodeAt(j) === 32 && j + 1 < text.length && kindAt(text, j + 1) === 1);
}

const HONORIFIC = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'madam', 'dame', 'lord', 'lady', 'herr', 'frau', 'sr', 'sra', 'mme', 'mlle', 'm']);
// Capitalised words that start a sentence or a greeting and are never part of the entity that follows.
const LEAD = new Set([
  'the', 'a', 'an', 'in', 'on', 'at', 'hi', 'hello', 'hey', 'dear', 'my', 'our', 'his', 'her', 'their', 'your', 'and',
  'but', 'or', 'when', 'where', 'so', 'if', 'is', 'was', 'it', 'this', 'that', 'please', 'to', 'from', 'for', 'with',
  'by', 'of', 'as', 'i', 'we', 'you', 'he', 'she', 'they', 'thanks', 'thank', 'yes', 'no', 'ok', 'okay', 'bot',
  'user', 'name', 'address', 'phone', 'email', 'date', 'where', 'when', 'who', 'what', 'why', 'how', 'have', 'has',
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
const CONN_RE = new RegExp(`^(?:${CONN})$`);
const ORG_SUFFIX = new Set([
  'inc', 'incorporated', 'ltd', 'limited', 'llc', 'llp', 'lp', 'gmbh', 'ag', 'kg', 'corp', 'corporation', 'company',
  'co', 'plc', 'sa', 'sas', 'sarl', 'srl', 'spa', 'bv', 'nv', 'oy', 'ab', 'as', 'asa', 'pty', 'bank', 'group',
  'holdings', 'technologies', 'technology', 'systems', 'software', 'solutions', 'labs', 'laboratories', 'records',
  'orchestra', 'university', 'college', 'institute', 'foundation', 'association', 'society', 'agency', 'partners',
  'capital', 'ventures', 'media', 'airlines', 'airways', 'motors', 'pharmaceuticals', 'insurance', 'consulting',
  'enterprises', 'industries', 'international', 'networks', 'communications', 'analytics', 'health', 'press',
]);

// Cues read just before a run (lower-cased, up to 48 characters).
const PERSON_BEFORE = cue(
  /(?:my name is|name is|names? (?:on|in) the account(?: is)?|i'm|i am|this is|call me|calls? me|called|named(?: \w+)?|maiden name is|user:|name:|directed by:?|starring|signed|regards,?|sincerely,?|thanks,?|dear|hi|hello|hey|follow up with|speak to|talk to|add|under|guardian|kid|son|daughter|partner's name|wife|husband|ms\.?|mr\.?|mrs\.?|dr\.?|said|says|asked|told|wrote|by|with|and|producer|commenter|songwriter|player|to)[ \t:,]*(?:\n[ \t>]*)?$/,
  "is account i'm i’m am me called named him her name user by starring signed regards sincerely thanks dear hi hello hey with to add under guardian kid son daughter wife husband ms mr mrs dr said says asked told wrote and producer commenter songwriter player",
);
const PERSON_AFTER = /^(?:'s\b|’s\b|,? (?:said|says|asked|told|wrote|explained|shouted|is a|is very|was a|will be|had given|lives|spent|began|from|of|and \p{Lu})|:)/u;
const PERSON_AFTER_STRONG = /^(?:['’]s (?:killers|kid|address|daughter|son|wife|husband|song|version|cautionary)|,? (?:said|says|asked|shouted|explained|told)\b| (?:is|was) (?:very|so|from|a very)\b| has been| had given| (?:and \p{Lu}[\p{L}'-]+ )?were\b| just has| lives\b| will be talking| began\b|, can (?:i|you)\b)/u;
const SPEECH_BEFORE = cue(
  /(?:says|said|asked|told|wrote|explained|by|kid|son|daughter|gender of|early|remember me,|town,|shouted at)[ \t]*$/,
  'says said asked told wrote explained by kid son daughter of early me town at',
);
const DIALOGUE = /^[ \t]*:[ \t]*["“\p{Lu}]/u;
const PLACE_BEFORE = /(?:originally from|grew up in|moved (?:here )?from|li(?:ve|ves|ved|ving) in|based in|travell?ing to|flew to|fly to|born in|home city|i'm in|i am in|returned to|arrived (?:at|in)|visit|coming to|trip to|from|in|to|near|across|where:)[ \t]*$/;
const WEAK_PLACE_BEFORE = cue(
  /(?:\bin|\bto|\bat|\bfrom|\bnear|\bof)[ \t]*$/,
  'in to at from near of',
);
const STRONG_PLACE_BEFORE = cue(
  /(?:arrived (?:at|in)|university of|street in|originally from|grew up in|moved (?:here )?from|li(?:ve|ves|ved|ving) in|based in|travell?ing to|flew to|born in|home city|i'm in|i am in|coming to|trip to|where:)[ \t]*$/,
  'at in of from to city where visit',
);
const ORG_BEFORE_STRICT = cue(
  /(?:work(?:s|ed|ing)? (?:for|at)|employed (?:by|at)|address of|recorded for|looking to support|support)[ \t]*$/,
  'for at by of support',
);
const ORG_AFTER = /^(?: office| orchestra| is an? (?:[\w-]+ ){0,3}(?:company|agency|bank|firm|startup|non-profit|multinational|corporation|organi[sz]ation|brand|manufacturer|provider|501)| is the brainchild| invested| songwriter| resignation|,? (?:a|an|the) (?:[\w-]+ ){0,2}(?:company|firm|agency))/;

// "Davis, Reynolds and Williamson", "Hawkins, Richardson and Santana": partnership names of firms.
const FIRM = /(?<![\p{L}\p{M}])\p{Lu}[\p{L}\p{M}'’-]+,[ \t]\p{Lu}[\p{L}\p{M}'’-]+(?:,)?[ \t](?:and|&)[ \t]\p{Lu}[\p{L}\p{M}'’-]+/gu;

/** The last word of a (lower-cased) context, without trailing spaces and punctuation: "my name is: " → "is". */
function lastWordOf(before: string): string {
  let e = before.length;
  while (e > 0 && ' \t\n:,>?"'.includes(before[e - 1])) e--;
  let b = e;
  while (b > 0 && /[a-z'’.]/.test(before[b - 1])) b--;
  return before.slice(b, e).replace(/\.$/, '');
}

/**
 * A cue regex anchored at the end of the context, tried only when the context's last word can end one of its
 * phrases: a Set lookup instead of trying every alternative at every position of 40 characters (about 1 µs a test).
 */
function cue(re: RegExp, lastWords: string): (before: string, last: string) => boolean {
  const set = new Set(lastWords.split(' '));
  return (before, last) => set.has(last) && re.test(before);
}

function uncommonOf(words: readonly Tok[], lex: { common: ReadonlySet<string> }): number {
  let n = 0;
  for (const t of words) if (!lex.common.has(t.k)) n++;
  return n;
}

/** Lexicon key of a token: lower-cased, without a trailing full stop or possessive. */
function key(t: string): string {
  return t.replace(/(?:['’]s|\.)$/u, '').toLowerCase();
}

function isInitial(t: string): boolean {
  return /^\p{Lu}\.?$/u.test(t);
}

interface Tok { text: string; k: string; start: number; end: number }

/** Tokens of a run, cut before an address word ("Apt.") and after a sentence-ending full stop. */
function tokens(run: string, offset: number): Tok[] {
  const out: Tok[] = [];
  for (const m of run.matchAll(/\S+/g)) {
    const t = { text: m[0], k: key(m[0]), start: offset + m.index!, end: offset + m.index! + m[0].length };
    if (ADDRESS_TOKEN.has(t.k) && out.length) break;
    out.push(t);
    if (t.text.endsWith('.') && t.text.length > 2 && !HONORIFIC.has(t.k)) break;
    if (/['’]s$/.test(t.text)) break; // "Emmie Ström's Cautionary Tales": the possessive ends the name
  }
  return out;
}

/** Finds persons, locations and organisations; `blocks` are address blocks (their capitalised lines are places). */
export function findNames(text: string, blocks: readonly Span[], want: ReadonlySet<EntityCategory>): EntitySpan[] {
  const lex = lexicons();
  const out: EntitySpan[] = [];
  const firms: Span[] = [];
  if (text.includes(',')) {
    FIRM.lastIndex = 0;
    for (let m = FIRM.exec(text); m; m = FIRM.exec(text)) {
      const names = m[0].split(/,?[ \t](?:and[ \t]|&[ \t])?/).map(key);
      if (names.every((n) => lex.lastNames.has(n))) firms.push({ start: m.index, end: m.index + m[0].length });
    }
    if (want.has('organization')) for (const f of firms) out.push({ category: 'organization', ...f });
  }
  let prevPersonEnd = -1;
  let covered = 0;
  for (const at of capitalStarts(text)) {
    if (at < covered || loneCommonWord(text, at, lex)) continue;
    RUN.lastIndex = at;
    const m = RUN.exec(text);
    if (!m) continue;
    covered = at + m[0].length;
    let toks = tokens(m[0], m.index);
    let honorific = false;
    while (toks.length && (LEAD.has(toks[0].k) || HONORIFIC.has(toks[0].k))) {
      if (HONORIFIC.has(toks[0].k)) honorific = true;
      toks = toks.slice(1);
    }
    while (toks.length && CONN_RE.test(toks[toks.length - 1].k)) toks = toks.slice(0, -1);
    if (!toks.length) continue;
    const start = toks[0].start;
    if (firms.some((f) => start >= f.start && start < f.end)) continue;
    const last = toks[toks.length - 1];
    // A trailing full stop belongs to the sentence unless the word is an initial or an abbreviation; a possessive
    // ("Szczepańska's killers") is not part of the name and is read as context after it.
    const end = /['’]s$/.test(last.text) ? last.end - 2 : last.text.endsWith('.') && !isInitial(last.text) && !ORG_SUFFIX.has(last.k) ? last.end - 1 : last.end;
    // "Ravil G Yefimov", "Erlendur G. Hafliðason": an initial between two capitalised words is a person's name.
    const middleInitial = toks.length >= 3 && toks.slice(1, -1).some((t) => isInitial(t.text)) && !isInitial(toks[0].text) && !isInitial(last.text);
    const words = toks.filter((t) => !isInitial(t.text) && !CONN_RE.test(t.k));
    if (!words.length || words.every((t) => NEVER.has(t.k))) continue;
    // A lone all-capitals word is an acronym (IBAN, NASA) unless a cue says otherwise.
    const acronym = words.length === 1 && words[0].text.length <= 6 && words[0].text === words[0].text.toUpperCase();
    const phrase = words.map((t) => t.k).join(' ');
    const first = lex.firstNames.has(words[0].k);
    const lastName = words.length >= 2 && lex.lastNames.has(words[words.length - 1].k);
    const common0 = lex.common.has(words[0].k);
    const allCommon = words.every((t) => lex.common.has(t.k));
    const region = lex.regions.has(phrase);
    const inBlock = blocks.length > 0 && blocks.some((b) => start >= b.start && start < b.end);
    // Most capitalised runs are ordinary words at a sentence start: skip them before any context is read.
    if (words.length === 1 && allCommon && !honorific && !region && !inBlock) continue;
    const before = text.slice(Math.max(0, start - 40), start).toLowerCase();
    const lw = lastWordOf(before);
    const after = text.slice(end, end + 64);
    const afterLower = after.toLowerCase();
    const placeWords = DIRECTION.has(words[0].k) && words.length >= 2 ? words.slice(1) : words;
    const place = lex.places.has(placeWords.map((t) => t.k).join(' '));

    const single = words.length === 1;
    const anyNameWord = words.some((t) => lex.firstNames.has(t.k) || lex.lastNames.has(t.k));
    const uncommon = words.filter((t) => !lex.common.has(t.k)).length;
    let personCueMemo: boolean | undefined;
    const personCue = () => (personCueMemo ??= PERSON_BEFORE(before, lw) || PERSON_AFTER.test(after));
    const strongPlace = STRONG_PLACE_BEFORE(before, lw);

    let category: EntityCategory | null = null;
    let span = { start, end };
    // "Gemini Ultra", "Meta AI", "Bicep CLI", "OpenAI GPT": product names, not people.
    const product = NEVER.has(words[0].k) || (words.length >= 2 && words.some((t) => /^\p{Lu}{2,5}$/u.test(t.text) || /^(?!Mc|Mac|O['’]|D['’]|De|Di|La|Le|Van|Von)\p{Lu}?\p{Ll}+\p{Lu}/u.test(t.text)));
    // A line that is only two or three capitalised words at the top of a text or block: a letter's or card's name.
    const nameLine = words.length >= 2 && words.length <= 3 && uncommonOf(words, lex) === words.length && /(?:^|\n)[ \t>?]*$/.test(text.slice(Math.max(0, start - 8), start)) && /^[ \t]*(?:\n|$)/.test(text.slice(end, end + 4));
    const shouting = words.length >= 3 && words.every((t) => t.text === t.text.toUpperCase());
    if (shouting) continue;
    if (words.length >= 2 && words.length <= 4 && STREET_SUFFIX.has(words[words.length - 1].k) && !lex.common.has(words[0].k)) category = 'street_address';
    else if (ORG_SUFFIX.has(words[words.length - 1].k) && words.length >= 2) category = 'organization';
    else if (ORG_AFTER.test(afterLower) || (ORG_BEFORE_STRICT(before, lw) && !place && !first)) category = 'organization';
    else if (honorific || (middleInitial && !place)) category = 'person';
    else if (allCommon && !region && !(first && lastName)) continue; // ordinary words: only the rules above apply
    else if (region || (place && (strongPlace || inBlock))) category = 'location';
    else if (inBlock && !first) category = 'location';
    else if (prevPersonEnd >= 0 && /^[ \t]*\n[ \t>?]*$/.test(text.slice(prevPersonEnd, start)) && /^[ \t]*\n/.test(text.slice(end, end + 4)) && !place && !first) category = 'organization';
    else if (words.length >= 2 && first && (lastName || !lex.common.has(words[words.length - 1].k)) && !(common0 && !lastName) && !place) category = 'person';
    else if (words.length >= 2 && words.length <= 3 && (first || lastName) && uncommon === words.length && !place) category = 'person';
    else if (nameLine && !place && !inBlock) category = 'person';
    else if (single && first && !common0 && !acronym && !strongPlace && !(place && WEAK_PLACE_BEFORE(before, lw))) category = 'person';
    else if (single && !common0 && !acronym && (PERSON_AFTER_STRONG.test(after) || STRONG_PERSON(before, lw) || SPEECH_BEFORE(before, lw) || (DIALOGUE.test(after) && /(?:^|\n)[ \t>]*$/.test(before)))) category = 'person';
    else if (place && !STRONG_PERSON(before, lw)) category = 'location';
    else if (strongPlace && !first && !allCommon) category = 'location';
    else if (single && !common0 && !acronym && !first && !lex.lastNames.has(words[0].k) && /^(?:\p{Lu}[\p{Ll}\p{M}'’-]{3,}|\p{Lu}{5,}(?<!S))$/u.test(words[0].text) && WEAK_PLACE_BEFORE(before, lw) && /^(?:[ \t]*[,.:;)]|[ \t]+(?:this|to|on|in|and|\d))/.test(after)) category = 'location';
    else if (prevPersonEnd >= 0 && /^[ \t]*(?:is )?(?:from|of)[ \t]*$/.test(text.slice(prevPersonEnd, start)) && !allCommon) category = 'organization';
    else if (!allCommon && (anyNameWord || uncommon >= 2) && words.length <= 4 && personCue() && words.length <= 4) category = 'person';
    else if (!allCommon && !common0 && STRONG_PERSON(before, lw) && words.length <= 4) category = 'person';
    else if (words.length >= 2) {
      // "Carry Me Back To Canada", "Southern Tunisia": a known place at the end of a longer run.
      for (let i = 1; i < words.length && !category; i++) {
        const tail = words.slice(i).map((t) => t.k).join(' ');
        if (lex.regions.has(tail) || (lex.places.has(tail) && !lex.firstNames.has(tail))) {
          category = 'location';
          span = { start: words[i].start, end };
        }
      }
    }
    if (!category) continue;
    if (category === 'person' && product && !honorific) continue;
    if (category === 'person') prevPersonEnd = end;
    if (want.has(category)) out.push({ category, ...span });
  }
  return out;
}

const STRONG = /(?:(?:your|my|his|her) (?:last |first |full |maiden )?name(?: is)?\??|my name is|name is|names? (?:on|in) the account(?: is)?|call me|calls me|called|named(?: \w+)?|user:|name:|directed by:?|starring|maiden name is|beneficiary|guardian|signed|sincerely,?|regards,?)[ \t:,]*(?:\n[ \t>]*)?$/;
const STRONG_PERSON = cue(STRONG, 'name is account me called named him her user by starring beneficiary guardian signed sincerely regards');
