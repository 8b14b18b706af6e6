/**
 * Verification of a semantic cache candidate before it is served (issue 23.1). Similarity cannot tell "the same
 * question" from its negation or from a related one: contradictions score 0.98–0.99 with real sentence encoders
 * ("no other children are playing" / "other children are playing", "jumping into" / "jumping out of"). So a
 * candidate is served only when the two prompts, read whole, agree on everything that changes an answer:
 *
 * - negation (not, no, never, nobody, without, n't, …) — counted, so "not … not" ≠ "not";
 * - numbers, in digits or words, and quantities (all, some, few, most, only, …);
 * - named entities (capitalised words inside a sentence, acronyms, words with digits);
 * - direction and relation words (into / out of, up / down, before / after, with / without, …);
 * - every content word (stemmed: "slicing" = "sliced"), the instruction included — a different verb, object
 *   or instruction is another question. So is any text the embedder did not see, since all text is read here.
 *
 * Function words (articles, auxiliaries, "by" of the passive…), case, punctuation, inflection, voice and the
 * place of adverbs may differ: "A man is slicing a tomato" = "A tomato is being sliced by a man". And the stored
 * prompt may say more than the new one (a more specific word, a detail the new one leaves out), since it then
 * entails it — not in questions, under negation or quantifiers like "all" (see PromptAnalysis.general). Strict on
 * purpose: a wrong answer costs more than a miss. Pure and in-process (see bench/semantic-verify.ts).
 */
import { stemmer } from 'stemmer';
import { IRREGULAR_VERBS, areSynonyms, hasAdjectiveSense, hasVerbSense, isAdverb, isGeneralisation, isModifier, prepareWord } from './wordnet.js';

/**
 * `nli`: the operator's NLI model (cache.verifierModelPath) did not find the prompts paraphrases, or failed;
 * `noText`: an entry written by an earlier version without its prompt (cannot be verified).
 */
export type RejectReason = 'negation' | 'number' | 'quantity' | 'entity' | 'relation' | 'content' | 'nli' | 'noText';

/**
 * `sameWording`: the two prompts say the same thing in the same words, up to articles, word forms, voice and word
 * order (same content stems in the same roles, same relation words): the verifier's own evidence of a paraphrase,
 * which the cache accepts at a lower similarity than one that needed a synonym, a generalisation or a left-out detail.
 */
export type Verdict = { ok: true; sameWording: boolean } | { ok: false; reason: RejectReason };

const NEGATION = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'nowhere', 'neither', 'nor', 'without', 'noone', 'cannot', 'nope']);
const QUANTITY = new Set([
  'all', 'every', 'each', 'any', 'many', 'much', 'few', 'fewer', 'several', 'most', 'more', 'less', 'least',
  'only', 'both', 'either', 'enough', 'multiple', 'various', 'numerous', 'lot', 'lots', 'plenty', 'single', 'alone',
  'another', 'other', 'others', 'same', 'different', 'also', 'too', 'slightly', 'almost',
  'nearly', 'exactly', 'approximately', 'about', 'over', 'under', 'minimum', 'maximum', 'max', 'min', 'per',
  'first', 'last', 'next', 'previous', 'latest', 'earliest', 'largest', 'smallest', 'biggest', 'best', 'worst',
]);
const NUMBER_WORDS: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17',
  eighteen: '18', nineteen: '19', twenty: '20', thirty: '30', forty: '40', fifty: '50', sixty: '60', seventy: '70',
  eighty: '80', ninety: '90', hundred: '100', thousand: '1000', million: '1e6', billion: '1e9', trillion: '1e12',
  dozen: '12', half: '0.5', once: '1x', twice: '2x', thrice: '3x', single: '1', couple: '2', pair: '2', double: '2x',
  triple: '3x', quarter: '0.25', third: '3rd', second: '2nd', fourth: '4th', fifth: '5th',
};
/** Direction, position, time order and relation: function words that still change the question. */
const RELATION = new Set([
  'in', 'into', 'out', 'onto', 'on', 'off', 'up', 'down', 'over', 'under', 'above', 'below', 'beneath', 'inside',
  'outside', 'before', 'after', 'during', 'since', 'until', 'from', 'to', 'toward', 'towards', 'away', 'through',
  'across', 'along', 'around', 'behind', 'front', 'between', 'against', 'near', 'far', 'beside', 'with', 'for',
  'instead', 'than', 'versus', 'vs', 'if', 'unless', 'or', 'and', 'but', 'because', 'although', 'whether', 'then',
  'why', 'how', 'what', 'when', 'where', 'which', 'who', 'whom', 'whose', 'should', 'could', 'would', 'might', 'must',
  'may', 'can', 'will', 'shall', 'did', 'was', 'were', 'had', 'has', 'have', 'yes', 'ago', 'yet', 'still', 'already',
  'again', 'back', 'forward', 'left', 'right', 'top', 'bottom', 'i', 'me', 'my', 'mine', 'we', 'us', 'our', 'you',
  'your', 'he', 'him', 'his', 'she', 'her', 'hers', 'they', 'them', 'their', 'it', 'its', 'myself', 'yourself',
  'himself', 'herself', 'themselves', 'ourselves', 'itself', 'this', 'that', 'these', 'those', 'there', 'here',
]);
/** Words that never change what is asked (articles, present-tense auxiliaries, the passive's "by", fillers). */
const NEUTRAL = new Set([
  'a', 'an', 'the', 'is', 'are', 'am', 'be', 'being', 'been', 'do', 'does', 'of', 'by', 'at', 'as', 'so', 'just',
  'please', 'kindly', 'currently', 'presently', "'s", 's', 'some',
]);

const WORD = /\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|%|x)?|[\p{L}\p{M}]+(?:['’][\p{L}]+)?|[$€£¥%]|[.!?:;,\n]/gu;
const BE = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'being', 'am']);
/** Ends a passive's agent ("… by a man in a hat and …"). */
const CLAUSE_END = new Set([',', 'and', 'while', 'which', 'who', 'that', 'because', 'but', 'or']);

const PUNCT = new Set(['.', '!', '?', ':', ';', ',', '\n']);
const CURRENCY = new Set(['$', '€', '£', '¥', '%']);
type Kind = 'negation' | 'number' | 'quantity' | 'relation' | 'content' | 'neutral' | 'punct';
export interface Token {
  kind: Kind;
  /** What must be equal: the stem of a content word, the value of a number, the word itself otherwise. */
  norm: string;
  /** Lower-case word, for the synonym lookup. */
  word: string;
  entity: boolean;
}

/**
 * Tokens of the words seen (bounded), one shared object per spelling and position (sentence start or not): a
 * prompt of 400 words would otherwise classify and stem every word again, and allocate as many objects.
 */
const seenTokens = new Map<string, Token>();

function classify(raw: string, atStart: boolean): Token {
  const lower = raw.toLowerCase();
  const word = lower.endsWith("'s") || lower.endsWith('’s') ? lower.slice(0, -2) : lower;
  const c = word.charCodeAt(0);
  if ((c >= 48 && c <= 57) || CURRENCY.has(word)) return { kind: 'number', norm: word.replace(/(?<=\d),(?=\d{3}\b)/g, ''), word, entity: false };
  if (NUMBER_WORDS[word]) return { kind: 'number', norm: NUMBER_WORDS[word]!, word, entity: false };
  if (NEGATION.has(word)) return { kind: 'negation', norm: 'not', word, entity: false };
  if (QUANTITY.has(word)) return { kind: 'quantity', norm: word, word, entity: false };
  if (RELATION.has(word)) return { kind: 'relation', norm: word, word, entity: false };
  if (NEUTRAL.has(word) || BE.has(word)) return { kind: 'neutral', norm: word, word, entity: false };
  // Names: capitalised inside a sentence, all capitals (acronyms), or mixed case (iPhone, McDonald).
  const entity = raw !== lower && ((!atStart && /^\p{Lu}/u.test(raw)) || (raw.length > 1 && raw === raw.toUpperCase()) || /\p{Ll}\p{Lu}/u.test(raw));
  return { kind: 'content', norm: stemOf(word), word, entity };
}

/**
 * Porter's stem, after bringing a verb's past forms to one spelling: alone it keeps "fried" (fri) apart from
 * "frying" (fry) and "drawn" from "drawing", so a passive ("is being fried by") would read as another verb.
 * "-ied"/"-ies" become "-y" first ("tied" and "tying" both give "ty"; "babies" still gives "babi").
 */
function stemOf(word: string): string {
  const irregular = IRREGULAR_VERBS[word];
  if (irregular) return stemmer(irregular);
  if ((word.length > 3 && word.endsWith('ied')) || (word.length > 4 && word.endsWith('ies'))) return stemmer(`${word.slice(0, -3)}y`);
  return stemmer(word);
}

const COMMA: Token = { kind: 'punct', norm: ',', word: ',', entity: false };
const STOPS = new Map<string, Token>(['.', '!', '?', ':', ';', '\n'].map((p) => [p, { kind: 'punct', norm: '.', word: p, entity: false }]));

function tokenize(text: string): Token[] {
  // Contractions first: "isn't" carries a negation, "can't" too, "won't" is "will not".
  const expanded = /['’]|cannot/i.test(text)
    ? text
        .replace(/\bcan['’]t\b/gi, 'can not')
        .replace(/\bwon['’]t\b/gi, 'will not')
        .replace(/n['’]t\b/gi, ' not')
        .replace(/\bcannot\b/gi, 'can not')
    : text;
  const out: Token[] = [];
  // Sentence starts, so a capitalised first word is not taken for a name.
  let sentenceStart = true;
  // match() gives the words as strings, without a match object per word (matchAll's cost on long prompts).
  for (const raw of expanded.match(WORD) ?? []) {
    if (raw.length === 1 && PUNCT.has(raw)) {
      if (raw === ',') out.push(COMMA);
      else {
        sentenceStart = true;
        out.push(STOPS.get(raw)!);
      }
      continue;
    }
    // Only a capitalised word's reading depends on its position.
    const key = sentenceStart && raw.charCodeAt(0) !== raw.toLowerCase().charCodeAt(0) ? `^${raw}` : raw;
    let t = seenTokens.get(key);
    if (!t) {
      if (seenTokens.size > 50_000) seenTokens.clear();
      seenTokens.set(key, (t = classify(raw, sentenceStart)));
    }
    sentenceStart = false;
    // "one man" is "a man": as a determiner before a word it counts nothing "a" does not ("one" against "two"
    // still differs: "two" stays a number). Alone ("a black one") or before "of" it stays the number.
    const prev = out[out.length - 1];
    if (prev?.word === 'one' && prev.kind === 'number' && t.kind === 'content') out[out.length - 1] = ONE_ARTICLE;
    // "each other", "one another": a reciprocal pronoun, not a quantifier (nor a number).
    if ((t.word === 'other' && prev?.word === 'each') || (t.word === 'another' && prev?.word === 'one')) {
      out[out.length - 1] = RECIPROCAL;
      continue;
    }
    // "a few" and "several" say what "some" says (a plural, no number): read as it is. "few" alone stays a quantity.
    if (t.word === 'few' && prev?.word === 'a') {
      out[out.length - 1] = SOME;
      continue;
    }
    out.push(t.word === 'several' ? SOME : t);
  }
  return out;
}
const ONE_ARTICLE: Token = { kind: 'neutral', norm: 'a', word: 'one', entity: false };
const RECIPROCAL: Token = { kind: 'relation', norm: 'each-other', word: 'each-other', entity: false };
const SOME: Token = { kind: 'neutral', norm: 'some', word: 'some', entity: false };

/**
 * "<subject> is being <verb>ed by <agent>, …" → "<agent> <verb> <subject>, …", sentence by sentence, so a passive
 * compares equal to its active form ("A tomato is being sliced by a man" = "A man is slicing a tomato") while a
 * swap of roles ("A dog is licking a baby" / "A baby is licking a dog") stays different.
 */
function activeOrder(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let start = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i < tokens.length && !(tokens[i]!.kind === 'punct' && tokens[i]!.norm === '.')) continue;
    out.push(...adverbsLast(activeSentence(ofCompounds(plainModifiers(plainAdjectives(existential(tokens.slice(start, i))))))));
    if (i < tokens.length) out.push(tokens[i]!);
    start = i + 1;
  }
  return out;
}

/**
 * The text's tokens in active order, line by line through a cache of lines read recently. A line break ends a
 * sentence, so this is the same as reading the text whole; but a long prompt whose near copy is a candidate
 * (the same document with another instruction, one paragraph changed) shares most of its lines with it, and
 * only its new lines are read.
 */
const lines = new Map<string, Token[]>();
let lineChars = 0;
const NEWLINE = STOPS.get('\n')!;
function readLines(text: string): Token[] {
  if (!text.includes('\n')) return activeOrder(tokenize(text));
  const out: Token[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (i > 0) out.push(NEWLINE);
    let t = lines.get(line);
    if (!t) {
      // Bounded like the prompts' cache (2 million characters), but simply emptied: lines are cheap to read again.
      if ((lineChars += line.length) > MAX_CHARS) (lines.clear(), (lineChars = line.length));
      lines.set(line, (t = activeOrder(tokenize(line))));
    }
    for (const x of t) out.push(x);
  }
  return out;
}

/**
 * "a player of soccer" → "soccer player", "the capital of France" → "France capital" (as "France's capital" reads):
 * one noun "of" one noun is the compound in the other order. Swapped roles stay different ("the owner of the
 * dog" → "dog owner" ≠ "owner dog").
 */
function ofCompounds(s: Token[]): Token[] {
  let out = s;
  for (let i = 1; i < out.length - 1; i++) {
    if (out[i]!.word !== 'of' || out[i - 1]!.kind !== 'content') continue;
    let j = i + 1;
    while (j < out.length && out[j]!.kind === 'neutral') j++;
    const next = out[j + 1];
    if (j >= out.length || out[j]!.kind !== 'content' || (next && next.kind === 'content')) continue;
    if (out === s) out = [...s];
    out.splice(i - 1, j - i + 2, out[j]!, out[i - 1]!);
  }
  return out;
}

/** "There is a man playing" → "a man playing": the existential "there is/are" asks nothing of its own. */
function existential(s: Token[]): Token[] {
  const first = s.findIndex((t) => t.kind !== 'neutral');
  if (first < 0 || s[first]!.word !== 'there' || !BE.has(s[first + 1]?.word ?? '')) return s;
  return [...s.slice(0, first), ...s.slice(first + 2)];
}

/** Verbs that link a subject to a property in a relative clause ("a lady who looks young"). */
const COPULA = new Set([...BE, 'looks', 'look', 'seems', 'seem']);

/**
 * "a dog, which is black," / "a dog that is black" / "uniforms which are black, pink and white" / "a wagon, which is
 * really small" / "a lady who looks young" → "a black dog", "black, pink and white uniforms", "really small wagon",
 * "young lady": a relative clause that only gives properties reads as the adjectives it gives (content words after
 * "which/who/that is/are/looks", joined by commas or "and", an adverb before each allowed; then the clause ends).
 */
function plainAdjectives(s: Token[]): Token[] {
  const out = [...s];
  for (let i = 1; i < out.length - 2; i++) {
    if (!['which', 'who', 'that'].includes(out[i]!.word) || !COPULA.has(out[i + 1]!.word)) continue;
    let noun = i - 1;
    if (out[noun]!.word === ',') noun--;
    const end = propertiesEnd(out, i + 2);
    if (noun < 0 || out[noun]!.kind !== 'content' || end < 0) continue;
    const properties = out.slice(i + 2, end);
    const stop = out[end]?.word === ',' ? end + 1 : end;
    out.splice(noun, stop - noun, ...properties, out[noun]!);
    i = noun + properties.length;
  }
  return out;
}

/** Where a list of properties starting at `k` ends (the clause must end there), or -1 if it is no such list. */
function propertiesEnd(s: Token[], k: number): number {
  let end = -1;
  for (;;) {
    // One property: a content word, after an adverb ("really small") if any.
    if (s[k]?.kind === 'content' && !s[k]!.entity && s[k + 1]?.kind === 'content' && isAdverb(s[k]!.word)) k++;
    if (s[k]?.kind !== 'content' || s[k]!.entity) return end;
    const after = s[k + 1];
    const ends = !after || after.kind === 'punct' || CLAUSE_END.has(after.word) || BE.has(after.word);
    if (!ends) return end;
    end = k + 1;
    // Another property after "," or "and" ("black, pink and white"); else the clause ends here.
    if (after?.word !== ',' && after?.word !== 'and') return end;
    k += 2;
  }
}

/**
 * Colour words: "a coat dyed blue" and "a blue-coloured coat" say "a blue coat". Hues only: without "coloured",
 * "light" or "bright" says something else ("a light coloured ball" is no "light ball").
 */
const COLOURS = new Set([
  'black', 'white', 'red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'brown', 'grey', 'gray', 'violet',
  'tan', 'beige', 'golden', 'gold', 'silver', 'maroon', 'navy', 'turquoise', 'teal', 'cyan', 'magenta', 'crimson',
  'scarlet', 'blond', 'blonde',
]);
const COLOURED = new Set(['colored', 'coloured', 'dyed']);
/** Nouns of a measure that "of <adjective> <measure>" gives as a property: "a dog of large size" = "a large dog". */
const MEASURES = new Set(['size', 'age', 'colour', 'color']);
const OF: Token = { kind: 'neutral', norm: 'of', word: 'of', entity: false };
/** Participles that only say what a thing is for: "a machine made for sewing" = "a machine for sewing". */
const PURPOSE = new Set(['made', 'built', 'designed', 'used', 'suited', 'bred', 'meant', 'intended']);

/**
 * Wordings that say what one adjective or compound says: "a wall made of bricks" → "a wall of bricks" (which
 * ofCompounds reads as "brick wall"), "a machine (made) for sewing" → "sewing machine", "a dog of large size" → "a
 * large dog", "a green coloured ball", "a dyed green ball" and "a ball dyed (in) green" → "a green ball".
 */
function plainModifiers(s: Token[]): Token[] {
  let out = s;
  const edit = () => (out === s ? (out = [...s]) : out);
  for (let i = 1; i < out.length; i++) {
    const t = out[i]!;
    const prev = out[i - 1]!;
    const next = out[i + 1];
    // The noun must be in a noun phrase ("a wall", "on steps"), not a bare subject after "is" or at the start:
    // "Is steel made from iron?" asks something else than "Is iron steel?".
    if (i < 2 || BE.has(out[i - 2]!.word)) continue;
    if ((t.word === 'made' || t.word === 'built') && prev.kind === 'content' && (next?.word === 'of' || next?.word === 'from')) {
      edit().splice(i, 2, OF);
    } else if (PURPOSE.has(t.word) && prev.kind === 'content' && next?.word === 'for') {
      edit().splice(i--, 1);
    } else if (t.word === 'for' && prev.kind === 'content' && !prev.entity && !/(?:ing|ed)$/.test(prev.word)) {
      // "a pen for cattle", "a rod for fishing", "a pencil for the eyes" → "cattle pen", "fishing rod", "eye pencil";
      // not after a verb's -ing or -ed form ("waiting for the bus", "asked for help").
      let j = i + 1;
      while (out[j]?.kind === 'neutral') j++;
      const what = out[j];
      if (what?.kind === 'content' && !what.entity && out[j + 1]?.kind !== 'content') edit().splice(i - 1, j - i + 2, what, prev);
    } else if (COLOURED.has(t.word)) {
      // After or before its colour: the word adds nothing ("a green coloured ball", "a dyed green ball").
      if (COLOURS.has(prev.word) || (t.word === 'dyed' && prev.kind === 'neutral' && next && COLOURS.has(next.word) && out[i + 2]?.kind === 'content')) {
        edit().splice(i--, 1);
        continue;
      }
      // After its noun: "a ball coloured (in) green" → "a green ball".
      const c = next?.word === 'in' ? i + 2 : i + 1;
      const colour = out[c];
      if (prev.kind === 'content' && !prev.entity && colour && COLOURS.has(colour.word) && out[c + 1]?.kind !== 'content') edit().splice(i - 1, c - i + 2, colour, prev);
    } else if (t.word === 'of' && prev.kind === 'content' && next?.kind === 'content' && MEASURES.has(out[i + 2]?.word ?? '') && out[i + 3]?.kind !== 'content') {
      edit().splice(i - 1, 4, next, prev);
    }
  }
  return out;
}

function activeSentence(s: Token[]): Token[] {
  const by = s.findIndex((t) => t.word === 'by');
  if (by < 2) return s;
  // A form of "be" at most six words before "by": "<subject> is being <participle> [<place>] by <agent>".
  let be = -1;
  for (let j = by - 1; j >= Math.max(0, by - 6); j--) {
    const w = s[j]!;
    if (w.kind === 'punct' || CLAUSE_END.has(w.word)) break;
    if (BE.has(w.word) && w.word !== 'being') {
      be = j;
      break;
    }
  }
  if (be < 1) return s;
  // The participle (with its adverbs) up to the first relation word; what follows it ("into a bowl") stays after the object.
  let mid = be + 1;
  while (mid < by && s[mid]!.kind !== 'relation') mid++;
  const verb = s.slice(be + 1, mid);
  if (!verb.some((t) => t.kind === 'content')) return s;
  let end = by + 1;
  while (end < s.length && !CLAUSE_END.has(s[end]!.word)) end++;
  return [...s.slice(by + 1, end), ...verb, ...s.slice(0, be), ...s.slice(mid, by), ...s.slice(end)];
}

/** Adverbs of manner ("slowly", "carefully") go to the end of their sentence: their place varies with the voice. */
function adverbsLast(s: Token[]): Token[] {
  // (Manner adverbs end in -ly: the suffix test spares a dictionary lookup per word.)
  const adverbs = s.filter((t) => t.kind === 'content' && !t.entity && t.word.endsWith('ly') && isAdverb(t.word));
  if (!adverbs.length) return s;
  return [...s.filter((t) => !adverbs.includes(t)), ...adverbs];
}

const counts = (tokens: Token[], kind: Kind) => tokens.filter((t) => t.kind === kind).map((t) => t.norm).sort().join(' ');

/** Adjectives that deny their noun: a fake gun is no gun, so they may never be left out. */
const PRIVATIVE = new Set(['hardly', 'barely', 'scarcely', 'seldom', 'rarely', 'fake', 'false', 'former', 'artificial', 'imitation', 'mock', 'pretend', 'alleged', 'fictional', 'counterfeit', 'virtual', 'toy', 'ex', 'pseudo', 'faux', 'would-be', 'supposed', 'fictitious', 'imaginary']);
/** Words that make a prompt a question: its answer is about exactly what it names (see `generalises`). */
const QUESTION = new Set(['what', 'how', 'why', 'when', 'where', 'whether', 'whom', 'whose']);
const OPENS_QUESTION = new Set(['which', 'who', 'is', 'are', 'am', 'was', 'were', 'do', 'does', 'did', 'can', 'could', 'will', 'would', 'should', 'shall', 'may', 'might', 'must', 'has', 'have', 'had']);

/** Words before an instruction's verb ("Please write …"). */
const POLITE = new Set(['please', 'kindly', 'now', 'just', 'then', 'also']);
/** What follows a sentence's first word when it is the subject, not an instruction's verb ("Water is …", "Cats can …"). */
const FINITE = new Set([...BE, 'can', 'could', 'will', 'would', 'should', 'shall', 'may', 'might', 'must', 'has', 'have', 'had', 'does', 'do', 'did', "'s"]);

/** Quantifiers under which a more general word says more, not less ("all dogs" ⊭ "all animals"). */
const DOWNWARD = new Set(['all', 'every', 'each', 'any', 'few', 'fewer', 'less', 'least', 'only', 'most']);
/** Prepositions whose phrase (place, instrument, company) a prompt may leave out: "cutting mushrooms with a knife" → "cutting mushrooms". */
const PHRASE = new Set(['in', 'on', 'into', 'onto', 'with', 'near', 'through', 'down', 'up', 'across', 'along', 'around', 'behind', 'beside', 'inside', 'outside', 'under', 'over', 'above', 'below', 'beneath', 'against', 'toward', 'towards', 'at']);

/** A prompt read once: what the verifier compares, computed when it is stored or first looked up. */
export interface PromptAnalysis {
  /** Sorted negations, numbers and quantities: these must be equal. */
  signature: string;
  /** Sorted relation words: equal unless the new prompt leaves out a phrase of the stored one. */
  relations: string;
  entities: string;
  /** Content and relation words in active order, function words left out. */
  skeleton: Token[];
  /** Skeleton positions where a sentence starts. */
  starts: number[];
  /** Per skeleton position, where a stored prompt may resume if the new one leaves this detail out (else 0): made on first use (dropsOf). */
  dropTo?: number[];
  /**
   * Whether a new prompt may say less than this one (a more general word, a detail left out): not for questions,
   * whose answer is about exactly what they name, nor for instructions, whose answer does exactly what they ask
   * (the answer to "Write an angry email" is no answer to "Write an email"), nor under a negation or a quantifier
   * like "all", where the more general statement says more.
   */
  general: boolean;
}

function analysePrompt(text: string): PromptAnalysis {
  const tokens = readLines(text);
  const skeleton: Token[] = [];
  // Skeleton positions where a sentence starts: a detail never reaches past its sentence.
  const starts: number[] = [];
  const kinds: Record<'negation' | 'number' | 'quantity' | 'relation', string[]> = { negation: [], number: [], quantity: [], relation: [] };
  const entities = new Set<string>();
  let general = true;
  let first = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct') {
      if (t.norm === '.') (starts.push(skeleton.length), (first = true));
      if (t.word === '?') general = false;
      continue;
    }
    if (first && !POLITE.has(t.word)) {
      // A sentence that opens like a question is one, question mark or not ("Is the dog black", "Which dog is calm");
      // one that opens with a verb that no "is"/"can" follows is an instruction ("Write …", "Name three …").
      if (OPENS_QUESTION.has(t.word) || (t.kind === 'content' && !t.entity && hasVerbSense(t.word) && !FINITE.has(tokens[i + 1]?.word ?? ''))) general = false;
      first = false;
    }
    if (t.kind === 'neutral') continue;
    skeleton.push(t);
    if (t.kind !== 'content') kinds[t.kind].push(t.norm);
    else if (t.entity) entities.add(t.word);
    if (t.kind === 'negation' || QUESTION.has(t.word) || DOWNWARD.has(t.word)) general = false;
  }
  return {
    signature: `${kinds.negation.length}|${kinds.number.sort().join(' ')}|${kinds.quantity.sort().join(' ')}`,
    relations: kinds.relation.sort().join(' '),
    entities: [...entities].sort().join(' '),
    skeleton,
    starts,
    general,
  };
}

/** Where a stored prompt may resume when the new one leaves the detail at each skeleton position out (else 0). */
function dropsOf(a: PromptAnalysis): number[] {
  if (a.dropTo) return a.dropTo;
  const { skeleton } = a;
  const starts = new Set(a.starts);
  return (a.dropTo = skeleton.map((t, i) => {
    if (t.entity) return 0;
    if (t.kind === 'content') {
      if (PRIVATIVE.has(t.word)) return 0;
      // Before a noun it modifies: an adjective sense, and not an -ing form (mostly the verb: "taking a picture").
      const attributive = i + 1 < skeleton.length && !starts.has(i + 1) && skeleton[i + 1]!.kind === 'content' && !t.word.endsWith('ing') && hasAdjectiveSense(t.word);
      return isModifier(t.word) || attributive ? i + 1 : 0;
    }
    if (t.kind !== 'relation' || !PHRASE.has(t.word)) return 0;
    let j = i + 1;
    while (j < skeleton.length && !starts.has(j) && skeleton[j]!.kind === 'content') j++;
    return j > i + 1 ? j : 0;
  }));
}

const sameWord = (q: Token, s: Token) => q.norm === s.norm || (q.kind === 'content' && s.kind === 'content' && !q.entity && !s.entity && areSynonyms(q.word, s.word));

/**
 * Whether the new prompt's words are the stored prompt's, in the same roles (positions in active order), allowing
 * synonyms — and, when `general`, a more general word for a stored one (person for man, instrument for guitar)
 * and stored details left out (an adjective or adverb, a phrase of place or instrument: "a young man slowly
 * slicing bread with a knife" → "a man slicing bread"): the stored prompt then entails the new one, so what was
 * answered is an instance of what is asked.
 */
function sameRoles(q: Token[], stored: PromptAnalysis, general: boolean): boolean {
  const s = stored.skeleton;
  if (!general && q.length !== s.length) return false;
  let i = 0;
  let j = 0;
  while (j < q.length) {
    const a = q[j]!;
    const b = s[i];
    if (b && (sameWord(a, b) || (general && generalises(a, b)))) {
      i++;
      j++;
    } else if (b && general && dropsOf(stored)[i]) i = stored.dropTo![i]!;
    else return false;
  }
  while (i < s.length) {
    if (!general || !dropsOf(stored)[i]) return false;
    i = stored.dropTo![i]!;
  }
  return true;
}

/**
 * WordNet files a girl under "woman" and a boy under "man" (its first senses are "a young woman", "a youngster"):
 * a prompt about a child is not one about an adult, so these never generalise to each other.
 */
const YOUNG = new Set(['girl', 'girls', 'boy', 'boys', 'kid', 'kids', 'child', 'children', 'baby', 'babies', 'toddler', 'toddlers', 'infant', 'infants', 'teenager', 'teenagers', 'teen', 'teens', 'youngster', 'youngsters', 'youth', 'youths']);
const ADULT = new Set(['man', 'men', 'woman', 'women', 'lady', 'ladies', 'gentleman', 'gentlemen', 'adult', 'adults', 'guy', 'guys']);

function generalises(q: Token, s: Token): boolean {
  if (q.kind !== 'content' || s.kind !== 'content' || q.entity || s.entity) return false;
  if (YOUNG.has(s.word) && ADULT.has(q.word)) return false;
  return isGeneralisation(q.word, s.word);
}

/**
 * Prompts read recently, least recently used dropped past 2 million characters (~10 MB with their analyses): the
 * entries a namespace keeps serving are candidates again and again, and a stored prompt was analysed when it was
 * written (rememberPrompt), so a lookup usually analyses only its own prompt.
 */
const recent = new Map<string, PromptAnalysis>();
const MAX_CHARS = 2_000_000;
let chars = 0;
/** The prompt's analysis, from the cache of recent ones. */
function analysed(text: string): PromptAnalysis {
  let t = recent.get(text);
  if (t) recent.delete(text);
  else {
    t = analysePrompt(text);
    chars += text.length;
    while (chars > MAX_CHARS && recent.size) {
      const [oldest] = recent.keys();
      chars -= oldest!.length;
      recent.delete(oldest!);
    }
  }
  recent.set(text, t);
  return t;
}

/** Analyses a prompt being stored (after the answer, off the lookup path), so later lookups find it ready. */
export function rememberPrompt(text: string): void {
  const a = analysed(text);
  dropsOf(a);
  // Its words' hypernyms too (read from WordNet's data files): a lookup then only looks up its own words' senses.
  if (a.general) for (const t of a.skeleton) if (t.kind === 'content' && !t.entity) prepareWord(t.word);
}

/** Whether the answer stored for `stored` may be served for `query`; why not when it may not. */
export function verifyHit(query: string | PromptAnalysis, stored: string | PromptAnalysis): Verdict {
  const a = typeof query === 'string' ? analysed(query) : query;
  const b = typeof stored === 'string' ? analysed(stored) : stored;
  if (a.signature !== b.signature) return { ok: false, reason: signatureReason(a.signature, b.signature) };
  if (a.entities !== b.entities) return { ok: false, reason: 'entity' };
  const general = a.general && b.general;
  if (!general && a.relations !== b.relations) return { ok: false, reason: 'relation' };
  // What is left must be the same words in the same roles: compare in active order, function words left out.
  if (!sameRoles(a.skeleton, b, general)) return { ok: false, reason: a.relations !== b.relations ? 'relation' : 'content' };
  return { ok: true, sameWording: a.relations === b.relations && sameNorms(a.skeleton, b.skeleton) };
}

/** The same words (stems) in the same order: no synonym, generalisation or left-out detail was needed. */
function sameNorms(q: Token[], s: Token[]): boolean {
  if (q.length !== s.length) return false;
  for (let i = 0; i < q.length; i++) if (q[i]!.norm !== s[i]!.norm) return false;
  return true;
}

function signatureReason(a: string, b: string): RejectReason {
  const x = a.split('|');
  const y = b.split('|');
  return x[0] !== y[0] ? 'negation' : x[1] !== y[1] ? 'number' : 'quantity';
}

/** What the calibration's answer comparison looks at (calibration.ts): numbers, negations, names, content stems. */
export function answerFeatures(text: string): { numbers: string; negations: number; entities: string; content: Set<string> } {
  const t = tokenize(text);
  return {
    numbers: counts(t, 'number'),
    negations: t.filter((x) => x.kind === 'negation').length,
    entities: [...new Set(t.filter((x) => x.entity).map((x) => x.word))].sort().join(' '),
    content: new Set(t.filter((x) => x.kind === 'content').map((x) => x.norm)),
  };
}
