/**
 * Topic-free features: how much a text addresses the model and its controls, counted through a lexicon of
 * CONCEPTS rather than surface n-grams.
 *
 * Why: the hashed n-grams learn each training source's topics and style, and on an attack family they have never
 * seen they find little to recognise (docs/guards.md, validation by source). What attacks share across families is
 * their subject: the assistant's own instructions, rules, identity and mode ("ignore the previous instructions",
 * "you are now DAN, free of all restrictions", "stay in character", "just output …"). Each concept below is a
 * small multilingual word/phrase list; a text's feature is log2(1 + hits), plus delimiter breaks ("=====END") and a
 * few conjunctions (override + instructions, persona + rules). They are a handful of dense
 * columns of the same logistic regression, so their weights are learned from all sources at once.
 *
 * Key words are matched typo-robustly: a word of 5+ letters within one edit (insertion, deletion, substitution or
 * adjacent swap) of a key word counts ("ingore", "instrucitons", "previus"), by the symmetric-deletion lookup.
 * Matched on the normalised text (lower-cased, NFKC, leetspeak and look-alike letters already replaced).
 */

import { SERVICE_STATES } from './signals.js';

interface Concept {
  name: string;
  /** Whole words; those of 5+ letters also match within one edit. */
  words: string;
  /** Phrases and words of scripts without spaces, matched as substrings at word starts. */
  phrases?: string;
}

const lexWords = (s: string): string[] => s.split(/\s+/).filter(Boolean);
// The prior-context words that can stand before a noun ("previous", "vorherigen"); prior_context has a few more.
const PRIOR_WORDS =
  'previous prior preceding earlier above initial original vorherigen vorherige vorigen bisherigen bisherige obigen ' +
  'précédentes précédents précédent anteriores anterior precedenti precedente';
/**
 * Prior-context words that point at no instructions: after an owner word, the writer's own earlier text ("my
 * previous email", "our earlier", "meine vorherige"); before a word for a document or a letter, an earlier document
 * ("the previous letter you received", "previous versions of this document", "the earlier notice").
 */
function notPriorInstructionsPhrases(): string {
  const own = 'my our mein meine meinen meiner meinem unsere unseren unserer mon ma mes notre nos mi mis nuestro nuestra nuestros nuestras mio mia miei mie nostro nostra meu minha meus minhas nosso nossa';
  const documents = 'letter letters email emails e-mail mail notice notices version versions edition editions invoice invoices release releases notification announcement memo newsletter statement bill order receipt';
  const prior = lexWords(PRIOR_WORDS);
  return [
    ...lexWords(own).flatMap((o) => prior.map((w) => `${o} ${w}`)),
    ...prior.flatMap((w) => lexWords(documents).map((d) => `${w} ${d}`)),
  ].join('|');
}

const CONCEPTS: readonly Concept[] = [
  {
    name: 'override',
    words:
      'ignore ignoring ignored disregard disregarding forget forgetting neglect overlook dismiss ' +
      'ignoriere ignorieren ignoriert vergiss vergesst vergessen missachte ignorez ignorer oubliez oublie oublier ' +
      'ignora ignorar ignore olvida olvide olvidar olvidad dimentica dimenticare esqueça esqueca negeer vergeet ' +
      'zaboravi игнорируй игнорируйте игнорировать забудь забудьте проигнорируй',
    phrases:
      'pay no attention|do not follow|don\'t follow|stop following|no longer follow|nicht beachten|' +
      'не отвечайте на|не обращай|忽略|无视|忽视|無視|무시|تجاهل|अनदेखा|উপেক্ষা',
  },
  {
    name: 'prior_context',
    words: `${PRIOR_WORDS} previously aforementioned oben zuvor sopra предыдущие предыдущих выше`,
    phrases: 'ci-dessus|so far|said before|told you before|said earlier|everything above|all of the above|上面|上述|之前|以上|上記|前面|이전|위의|السابقة|पिछले|ऊपर|উপরের|পূর্ববর্তী',
  },
  {
    // Subtracted from prior_context, never a feature: "disregard my previous email", "ignore the previous letter".
    name: 'not_prior_instructions',
    words: '',
    phrases: notPriorInstructionsPhrases(),
  },
  {
    name: 'instructions',
    words:
      'instructions instruction directives directive directions commands command prompt prompts orders tasks ' +
      'anweisungen anweisung befehle befehl aufgabe aufgaben consignes instrucciones instrucción istruzioni ' +
      'instruções instrucoes instructies instrukcije инструкции инструкций указания',
    phrases: '指令|指示|命令|提示|지시|명령|تعليمات|निर्देश|নির্দেশ',
  },
  {
    name: 'rules',
    words:
      'rules guidelines restrictions restricted restriction limitations limits filters filtered filter censorship ' +
      'censored policies policy constraints boundaries ethics ethical morals moral morality safeguards programming ' +
      'regeln richtlinien einschränkungen beschränkungen règles restrictions directives reglas restricciones ' +
      'normas regole restrizioni regras restrições правила ограничения',
    phrases: 'content policy|规则|限制|道德|ルール|制限|倫理|규칙|제한|القواعد|नियम|নিয়ম',
  },
  {
    name: 'jailbreak',
    words:
      'jailbreak jailbroken jailbreaking dan unfiltered uncensored unrestricted unlimited unbound amoral ' +
      'machiavellian unethical immoral lawless limitless',
    phrases:
      'do anything now|anything now|developer mode|dev mode|god mode|opposite mode|evil mode|no restrictions|' +
      'no limits|no limitations|without restrictions|without any restrictions|without limitations|no longer bound|' +
      'not bound by|free from|freed from|broken free|break free|no filters|no ethics|no morals|' +
      'entwicklermodus|keine einschränkungen|sans restrictions|sin restricciones|без ограничений|越狱|不受限制|制限なし',
  },
  {
    name: 'persona',
    words: 'pretend pretending roleplay persona character impersonate simulate simulating embody ' +
      'притворись представь притворяйся',
    phrases:
      'role-play|role play|in character|you are now|you\'re now|now you are|you will now|' +
      // "From now on" alone is a time ("From now on, keep your answers short"): only with who "you" now are.
      'from now on you are|from now on you\'re|from now on act as|from now on you will be|' +
      'imagine you are|imagine that you|play the role|take on the role|assume the role|you will act|du bist jetzt|jetzt bist du|' +
      'ab jetzt bist du|von nun an bist du|tu es maintenant|à partir de maintenant tu es|ahora eres|a partir de ahora eres|' +
      'd\'ora in poi sei|ora sei|ты теперь|теперь ты|' +
      '扮演|角色|你现在是|从现在开始你是|演じ|ロールプレイ|なりきり|역할|지금부터 너는|تظاهر|دور|भूमिका|ভূমিকা',
  },
  {
    // Subtracted from persona, never a feature: a state a service reports, not who "you" are to play.
    name: 'not_persona',
    words: '',
    phrases: SERVICE_STATES.split('|').map((w) => `you are now ${w}`).join('|'),
  },
  {
    name: 'ai_self',
    words: 'ai assistant chatbot chatgpt gpt openai llm bot claude bard gemini llama ki ia ии',
    phrases: 'language model|sprachmodell|modèle de langage|modelo de lenguaje|人工智能|ai助手|言語モデル|인공지능|الذكاء الاصطناعي',
  },
  {
    name: 'output_forcing',
    words: 'output print repeat emita affichez imprima выведите введите ausgeben',
    phrases:
      'respond with|reply with|just say|only say|only respond|only answer|only reply|just output|just write|' +
      'directly output|begin your|start your response|sure, here|say that|gib nur|schreibe nur|sage nur|sag nur|' +
      'directement|directamente|direttamente|просто|直接输出|只输出|输出|出力|출력|فقط|केवल|শুধু',
  },
  {
    name: 'refusal_suppression',
    words: 'disclaimer disclaimers apologize apologise apology apologies refuse refusal refusing warnings censor',
    phrases:
      'never refuse|not refuse|cannot refuse|can\'t refuse|won\'t refuse|always answer|must answer|no matter how|' +
      'regardless of|as an ai|i\'m sorry|i cannot|not allowed to|is not allowed|against the rules|' +
      'no warnings|without warning|without any warning|even if it is|whether it is',
  },
  {
    name: 'secret',
    words: 'secret secrets password passwords passwort confidential reveal leak geheim passcode credentials',
    phrases: 'system prompt|initial prompt|your prompt|密码|秘密|パスワード|비밀',
  },
  {
    name: 'pivot',
    words: 'instead stattdessen invece вместо',
    phrases: 'au lieu|en lugar|en vez|new task|neue aufgabe|而是|代わりに|대신',
  },
];

// Features: every concept but `override` on its own (the bare verb is everyday: "ignore hidden directories",
// "Ignore missing imports:"; it counts with what it overrides), delimiter breaks, and conjunctions.
// Not features, measured and dropped: the share of sentences addressed to "you" and of sentences opening with an
// imperative. They separated the training sources (their benign rows are rarely addressed to anyone) and flagged
// everyday letters and requests ("Could you please email me the statement…": 0.87).
export const CONCEPT_NAMES: readonly string[] = [
  ...CONCEPTS.map((c) => c.name).filter((n) => n !== 'override' && !n.startsWith('not_')),
  'delimiter',
  'override_x_instructions',
  'persona_x_rules',
  'ai_x_rules',
];
const at = (name: string): number => CONCEPTS.findIndex((c) => c.name === name);
const [OVERRIDE, PRIOR_CONTEXT, NOT_PRIOR, INSTRUCTIONS, RULES, JAILBREAK, PERSONA, NOT_PERSONA, AI_SELF] =
  ['override', 'prior_context', 'not_prior_instructions', 'instructions', 'rules', 'jailbreak', 'persona', 'not_persona', 'ai_self'].map(at);
const STANDALONE = CONCEPTS.map((_, k) => k).filter((k) => k !== OVERRIDE && !CONCEPTS[k].name.startsWith('not_'));

const WIDE = /[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/u;

/** Words of a text the way the feature pass splits them (letters, digits, marks, apostrophes). */
function tokens(s: string): string[] {
  return s.match(/[\p{L}\p{N}\p{M}'’]+/gu) ?? [];
}

const wordConcept = new Map<string, number>();
// Multi-word phrases by their first word; phrases in scripts without spaces (CJK) as one substring regex.
const phrasesByFirst = new Map<string, { rest: string[]; concept: number }[]>();
const widePhrases = new Map<string, number>();
CONCEPTS.forEach((c, k) => {
  for (const w of lexWords(c.words)) {
    if (!wordConcept.has(w)) wordConcept.set(w, k);
  }
  for (const p of (c.phrases ?? '').split('|').filter(Boolean)) {
    if (WIDE.test(p)) {
      if (!widePhrases.has(p)) widePhrases.set(p, k);
      continue;
    }
    const [first, ...rest] = tokens(p);
    if (!rest.length) {
      if (!wordConcept.has(first)) wordConcept.set(first, k);
      continue;
    }
    const list = phrasesByFirst.get(first) ?? [];
    list.push({ rest, concept: k });
    phrasesByFirst.set(first, list);
  }
});
const WIDE_RE = new RegExp([...widePhrases.keys()].join('|'), 'gu');
// The words attackers misspell to slip past filters ("ingore", "instrucitons", "previus"): matched within one edit.
const TYPO_KEYS =
  'ignore disregard forget instructions instruction previous prompts prompt restrictions guidelines pretend ' +
  'character jailbreak unfiltered uncensored unrestricted directives commands output password secret reveal ' +
  'persona roleplay filters limitations ethical policies censorship apologize disclaimer';
// Words of ordinary English one edit away from a key word: an exact word listed here is never "corrected".
const NOT_TYPOS = new Set(
  lexWords(
    'ignores ignorant forgets forgot forgotten forgive forged former orders border borders limited limit ' +
    'filtering previews preview prisoner prison abode origin originals aboard comment comments commend demand ' +
    'demands print prints printer pretended intend tended extend extends ethic rule ruler filled filler hinder ' +
    'leaks leaked reveals revealed secrete secreted hiddenness outputs prompted prompter prompting ethos police ' +
    'polite rulers ordered orderly commanded commander limiter limits forge personal revel',
  ),
);
/** Everything known about a word, found with one map lookup in the hot loop. */
interface WordInfo {
  concept: number;
  phrases: { rest: string[]; concept: number }[] | undefined;
}
/** Every word the concepts know, typo neighbours included (~40 k entries), and a Bloom filter of them. */
interface WordTable {
  words: Map<string, WordInfo>;
  bloom: Int32Array;
}
let wordTable: WordTable | undefined;
/**
 * Built on the first score, not at import (~20 ms and a few MB): a gateway that runs no injection detector never
 * builds it, and one that does builds it in its warm-up before it reports ready (src/warm-up.ts).
 */
function table(): WordTable {
  return (wordTable ??= buildWordTable());
}

function buildWordTable(): WordTable {
  const words = new Map<string, WordInfo>();
  for (const w of new Set([...wordConcept.keys(), ...phrasesByFirst.keys()])) {
    words.set(w, { concept: wordConcept.get(w) ?? -1, phrases: phrasesByFirst.get(w) });
  }
  // Typos: every string one edit (deletion, adjacent swap, substitution or insertion of a-z) away from a key word is
  // in the table too, unless it is a real word listed in NOT_TYPOS or a key itself, so that the lookup in the hot
  // loop is the same single map access as an exact word.
  for (const key of lexWords(TYPO_KEYS)) {
    const concept = wordConcept.get(key)!;
    const near = new Set<string>();
    for (let i = 0; i <= key.length; i++) {
      if (i < key.length) near.add(key.slice(0, i) + key.slice(i + 1));
      if (i < key.length - 1) near.add(key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2));
      for (const c of ALPHABET) {
        if (i < key.length) near.add(key.slice(0, i) + c + key.slice(i + 1));
        near.add(key.slice(0, i) + c + key.slice(i));
      }
    }
    for (const w of near) {
      if (w.length >= 5 && !words.has(w) && !NOT_TYPOS.has(w)) words.set(w, { concept, phrases: undefined });
    }
  }
  const bloom = new Int32Array(1 << (BLOOM_BITS - 5));
  for (const w of words.keys()) {
    const h = wordHash(w);
    for (const b of [probe1(h), probe2(h)]) bloom[b >>> 5] |= 1 << (b & 31);
  }
  return { words, bloom };
}
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
for (const key of lexWords(TYPO_KEYS)) if (!wordConcept.has(key)) throw new Error(`typo key ${key} is in no concept`);
// A run of 4+ repeated delimiter characters ("=====", "-----", "####"), or an END/STOP marker closing a block.
const DELIMITER_RE = /([=\-#*_~<>|])\1{3,}|\b(?:end|stop|end of (?:text|prompt|input|document))\b[.!]?\s*(?:[=\-#*_]{2,}|\n)/gu;

const log2p = (x: number): number => Math.log2(1 + x);

// The words of a text are read by a character loop, not `match(/[\p{L}\p{N}\p{M}'’]+/gu)`: most words are in no
// concept, and for them the cost was the array, the substrings and V8 hashing each new string for the map lookup
// (about 2.5 µs of a 20 µs score on an 85-character form line). The loop hashes each word as it reads it and
// asks a Bloom filter of the table's keys first; only a word the filter may know is sliced and looked up (a
// false positive costs one lookup, so the features are exactly those of the regex split; a test compares them).
const TOKEN_CHAR_RE = /^[\p{L}\p{N}\p{M}'’]$/u;
const tokenCharCache = new Int8Array(65536); // per BMP code unit: 0 not yet tested, 1 a word character, 2 not
/** Code units of the word character at `i` (1, or 2 for an astral one), or 0 when it is none. */
function wordCharAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 39 ? 1 : 0;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return TOKEN_CHAR_RE.test(s.slice(i, i + 2)) ? 2 : 0;
  }
  let v = tokenCharCache[c];
  if (v === 0) tokenCharCache[c] = v = TOKEN_CHAR_RE.test(String.fromCharCode(c)) ? 1 : 2;
  return v === 1 ? 1 : 0;
}
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const BLOOM_BITS = 19; // 2^19 bits (64 KB) for ~40 k keys, two probes: ~2 % false positives
const BLOOM_MASK = (1 << BLOOM_BITS) - 1;
function probe1(h: number): number {
  return h & BLOOM_MASK;
}
function probe2(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - BLOOM_BITS);
}
const hasBit = (bloom: Int32Array, b: number): boolean => (bloom[b >>> 5] & (1 << (b & 31))) !== 0;
function wordHash(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
const MAX_PHRASE_REST = Math.max(0, ...[...phrasesByFirst.values()].flat().map((p) => p.rest.length));
/** Up to `n` words of `s` from position `i`, split as the scan splits them (for phrases). */
function wordsFrom(s: string, i: number, n: number): string[] {
  const out: string[] = [];
  while (i < s.length && out.length < n) {
    let k = wordCharAt(s, i);
    if (k === 0) {
      i++;
      continue;
    }
    const start = i;
    do i += k;
    while (i < s.length && (k = wordCharAt(s, i)) > 0);
    out.push(s.slice(start, i));
  }
  return out;
}
/** Adds the word and phrase hits of `norm` to `hits`: the scan described above. */
function countWordHits(norm: string, hits: Float64Array): void {
  const { words, bloom } = table();
  const len = norm.length;
  let i = 0;
  while (i < len) {
    let k = wordCharAt(norm, i);
    if (k === 0) {
      i++;
      continue;
    }
    const start = i;
    let h = FNV_OFFSET;
    do {
      h = Math.imul(h ^ norm.charCodeAt(i), FNV_PRIME);
      if (k === 2) h = Math.imul(h ^ norm.charCodeAt(i + 1), FNV_PRIME);
      i += k;
    } while (i < len && (k = wordCharAt(norm, i)) > 0);
    if (!hasBit(bloom, probe1(h)) || !hasBit(bloom, probe2(h))) continue;
    const info = words.get(norm.slice(start, i));
    if (info === undefined) continue;
    if (info.concept >= 0) hits[info.concept]++;
    if (info.phrases) countPhrases(info.phrases, wordsFrom(norm, i, MAX_PHRASE_REST), 0, hits);
  }
}

/** The same counts from the plain regex split, one lookup per word: the reference a test compares the scan with. */
function countWordHitsBySplit(norm: string, hits: Float64Array): void {
  const known = table().words;
  const words = tokens(norm);
  for (let i = 0; i < words.length; i++) {
    const info = known.get(words[i]);
    if (info === undefined) continue;
    if (info.concept >= 0) hits[info.concept]++;
    if (info.phrases) countPhrases(info.phrases, words, i + 1, hits);
  }
}

function countPhrases(phrases: { rest: string[]; concept: number }[], words: string[], from: number, hits: Float64Array): void {
  for (const p of phrases) {
    let j = 0;
    while (j < p.rest.length && words[from + j] === p.rest[j]) j++;
    if (j === p.rest.length) hits[p.concept]++;
  }
}

/**
 * Concept features of a normalised text, in CONCEPT_NAMES order. Pure; linear in the text. Values are in [0, ~4]:
 * log2(1 + hits) per concept, conjunctions 0 or 1.
 */
export const conceptFeatures = (norm: string): Float64Array => features(norm, countWordHits);
/** `conceptFeatures` with the words split by a regex (slower; the same result). */
export const conceptFeaturesReference = (norm: string): Float64Array => features(norm, countWordHitsBySplit);

const hits = new Float64Array(CONCEPTS.length); // scratch: scoring is synchronous, never re-entered
const v = (k: number): number => Math.min(1, hits[k]);

function features(norm: string, countWords: (norm: string, hits: Float64Array) => void): Float64Array {
  hits.fill(0);
  countWords(norm, hits);
  if (WIDE.test(norm)) {
    WIDE_RE.lastIndex = 0;
    for (let m = WIDE_RE.exec(norm); m !== null; m = WIDE_RE.exec(norm)) hits[widePhrases.get(m[0])!]++;
  }
  hits[PRIOR_CONTEXT] = Math.max(0, hits[PRIOR_CONTEXT] - hits[NOT_PRIOR]);
  hits[PERSONA] = Math.max(0, hits[PERSONA] - hits[NOT_PERSONA]);
  let delimiters = 0;
  DELIMITER_RE.lastIndex = 0;
  while (DELIMITER_RE.exec(norm) !== null) delimiters++;

  const out = new Float64Array(CONCEPT_NAMES.length);
  for (let j = 0; j < STANDALONE.length; j++) out[j] = log2p(hits[STANDALONE[j]]);
  const n = STANDALONE.length;
  out[n] = log2p(delimiters);
  out[n + 1] = v(OVERRIDE) * Math.max(v(INSTRUCTIONS), v(PRIOR_CONTEXT), v(RULES));
  out[n + 2] = v(PERSONA) * Math.max(v(RULES), v(JAILBREAK));
  out[n + 3] = v(AI_SELF) * v(RULES);
  return out;
}
