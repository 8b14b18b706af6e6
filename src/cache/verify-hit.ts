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
 * Only function words (articles, auxiliaries, "by" of the passive…), case, punctuation and inflection may differ:
 * "A man is slicing a tomato" = "A tomato is being sliced by a man". Strict on purpose: a wrong answer costs more
 * than a miss. Pure and in-process (microseconds for a sentence; see bench/semantic-verify.ts).
 */
import { stemmer } from 'stemmer';
import { areSynonyms } from './synonyms.js';

/**
 * `nli`: the operator's NLI model (cache.verifierModelPath) did not find the prompts paraphrases, or failed;
 * `noText`: an entry written by an earlier version without its prompt (cannot be verified).
 */
export type RejectReason = 'negation' | 'number' | 'quantity' | 'entity' | 'relation' | 'content' | 'nli' | 'noText';

export type Verdict = { ok: true } | { ok: false; reason: RejectReason };

const NEGATION = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'nowhere', 'neither', 'nor', 'without', 'noone', 'cannot', 'nope']);
const QUANTITY = new Set([
  'all', 'every', 'each', 'any', 'many', 'much', 'few', 'fewer', 'several', 'most', 'more', 'less', 'least',
  'only', 'both', 'either', 'enough', 'multiple', 'various', 'numerous', 'lot', 'lots', 'plenty', 'single', 'alone',
  'another', 'other', 'others', 'same', 'different', 'also', 'too', 'very', 'extremely', 'slightly', 'almost',
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
/** Stems of words seen (bounded): most prompts repeat the same few thousand words. */
const stems = new Map<string, string>();
function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size > 50_000) stems.clear();
    s = stemmer(word);
    stems.set(word, s);
  }
  return s;
}

type Kind = 'negation' | 'number' | 'quantity' | 'relation' | 'content' | 'neutral' | 'punct';
interface Token {
  kind: Kind;
  /** What must be equal: the stem of a content word, the value of a number, the word itself otherwise. */
  norm: string;
  /** Lower-case word, for the synonym lookup. */
  word: string;
  entity: boolean;
}

function tokenize(text: string): Token[] {
  // Contractions first: "isn't" carries a negation, "can't" too, "won't" is "will not".
  const expanded = text
    .replace(/\bcan['’]t\b/gi, 'can not')
    .replace(/\bwon['’]t\b/gi, 'will not')
    .replace(/n['’]t\b/gi, ' not')
    .replace(/\bcannot\b/gi, 'can not');
  const out: Token[] = [];
  // Sentence starts, so a capitalised first word is not taken for a name.
  let sentenceStart = true;
  for (const m of expanded.matchAll(WORD)) {
    const raw = m[0];
    if (raw.length === 1 && PUNCT.has(raw)) {
      if (raw !== ',') sentenceStart = true;
      out.push({ kind: 'punct', norm: raw === ',' ? ',' : '.', word: raw, entity: false });
      continue;
    }
    const lower = raw.toLowerCase();
    const word = lower.endsWith("'s") || lower.endsWith('’s') ? lower.slice(0, -2) : lower;
    const wasStart = sentenceStart;
    sentenceStart = false;
    const c = word.charCodeAt(0);
    if ((c >= 48 && c <= 57) || CURRENCY.has(word)) out.push({ kind: 'number', norm: word.replace(/(?<=\d),(?=\d{3}\b)/g, ''), word, entity: false });
    else if (NUMBER_WORDS[word]) out.push({ kind: 'number', norm: NUMBER_WORDS[word]!, word, entity: false });
    else if (NEGATION.has(word)) out.push({ kind: 'negation', norm: 'not', word, entity: false });
    else if (QUANTITY.has(word)) out.push({ kind: 'quantity', norm: word, word, entity: false });
    else if (RELATION.has(word)) out.push({ kind: 'relation', norm: word, word, entity: false });
    else if (NEUTRAL.has(word) || BE.has(word)) out.push({ kind: 'neutral', norm: word, word, entity: false });
    else {
      // Names: capitalised inside a sentence, all capitals (acronyms), or mixed case (iPhone, McDonald).
      const entity = raw !== lower && ((!wasStart && /^\p{Lu}/u.test(raw)) || (raw.length > 1 && raw === raw.toUpperCase()) || /\p{Ll}\p{Lu}/u.test(raw));
      out.push({ kind: 'content', norm: stem(word), word, entity });
    }
  }
  return out;
}

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
    out.push(...activeSentence(plainAdjectives(existential(tokens.slice(start, i)))));
    if (i < tokens.length) out.push(tokens[i]!);
    start = i + 1;
  }
  return out;
}

/** "There is a man playing" → "a man playing": the existential "there is/are" asks nothing of its own. */
function existential(s: Token[]): Token[] {
  const first = s.findIndex((t) => t.kind !== 'neutral');
  if (first < 0 || s[first]!.word !== 'there' || !BE.has(s[first + 1]?.word ?? '')) return s;
  return [...s.slice(0, first), ...s.slice(first + 2)];
}

/**
 * "a dog, which is black," / "a dog that is black" → "a black dog": a relative clause that only gives a
 * property reads as the adjective it is (one content word after "which/who/that is/are", then the clause ends).
 */
function plainAdjectives(s: Token[]): Token[] {
  const out = [...s];
  for (let i = 1; i < out.length - 2; i++) {
    if (!['which', 'who', 'that'].includes(out[i]!.word) || !BE.has(out[i + 1]!.word)) continue;
    let noun = i - 1;
    if (out[noun]!.word === ',') noun--;
    const adjective = out[i + 2]!;
    const after = out[i + 3];
    const ends = !after || after.kind === 'punct' || CLAUSE_END.has(after.word);
    if (noun < 0 || out[noun]!.kind !== 'content' || adjective.kind !== 'content' || !ends) continue;
    const end = after?.word === ',' ? i + 4 : i + 3;
    out.splice(noun, end - noun, adjective, out[noun]!);
    i = noun + 1;
  }
  return out;
}

function activeSentence(s: Token[]): Token[] {
  const by = s.findIndex((t) => t.word === 'by');
  if (by < 2) return s;
  // A form of "be" at most three words before "by", with only the participle (and "being") between.
  let be = -1;
  for (let j = by - 1; j >= Math.max(0, by - 3); j--) if (BE.has(s[j]!.word) && s[j]!.word !== 'being') be = j;
  if (be < 1) return s;
  const verb = s.slice(be + 1, by);
  if (!verb.some((t) => t.kind === 'content')) return s;
  let end = by + 1;
  while (end < s.length && !CLAUSE_END.has(s[end]!.word)) end++;
  return [...s.slice(by + 1, end), ...verb, ...s.slice(0, be), ...s.slice(end)];
}

const counts = (tokens: Token[], kind: Kind) => tokens.filter((t) => t.kind === kind).map((t) => t.norm).sort().join(' ');
const sameTokens = (a: Token, b: Token) => a.norm === b.norm || (a.kind === 'content' && b.kind === 'content' && !a.entity && !b.entity && areSynonyms(a.word, b.word));

let lastQuery: { text: string; tokens: Token[] } | undefined;
/** Stored prompts read recently (the same entries are candidates again and again), least recently used dropped. */
const recent = new Map<string, Token[]>();
function storedTokens(text: string): Token[] {
  let t = recent.get(text);
  if (t) recent.delete(text);
  else {
    t = activeOrder(tokenize(text));
    if (recent.size >= 1000) recent.delete(recent.keys().next().value!);
  }
  recent.set(text, t);
  return t;
}

/** Whether the answer stored for `stored` may be served for `query`; why not when it may not. */
export function verifyHit(query: string, stored: string): Verdict {
  // A lookup verifies up to three candidates against one query: read it once.
  if (lastQuery?.text !== query) lastQuery = { text: query, tokens: activeOrder(tokenize(query)) };
  const a = lastQuery.tokens;
  const b = storedTokens(stored);
  for (const kind of ['negation', 'number', 'quantity', 'relation'] as const) if (counts(a, kind) !== counts(b, kind)) return { ok: false, reason: kind === 'relation' ? 'relation' : kind };
  const entities = (t: Token[]) => [...new Set(t.filter((x) => x.entity).map((x) => x.word))].sort().join(' ');
  if (entities(a) !== entities(b)) return { ok: false, reason: 'entity' };
  // What is left must be the same words in the same roles: compare in active order, function words left out.
  const skeleton = (t: Token[]) => t.filter((x) => x.kind !== 'neutral' && x.kind !== 'punct');
  const x = skeleton(a);
  const y = skeleton(b);
  if (x.length !== y.length || x.some((t, i) => !sameTokens(t, y[i]!))) return { ok: false, reason: 'content' };
  return { ok: true };
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
