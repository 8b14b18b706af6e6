/**
 * Structural signals of prompt injection: hand-written detectors for patterns that generalise beyond the
 * training vocabulary (override phrases in several languages, role-play set-ups, system-prompt reveal requests,
 * fake chat-role delimiters, encoded payloads, invisible characters).
 *
 * Each signal is both a feature of the classifier (its weight is learned when the training data contains it)
 * and an explanation returned to the caller. Signals the training set barely covers (fake role markers, base64,
 * invisible characters) also carry a fixed `prior` logit so they count even though the data cannot teach them.
 */

import { decodeCharCodes, decodeMorse } from './decoders.js';

/** One structural signal: a pure test over the raw and the normalised text. */
export interface SignalDef {
  readonly name: string;
  /** Fixed logit added when the signal fires, on top of the learned weight (0 for data-covered signals). */
  readonly prior: number;
  test(raw: string, norm: string): boolean;
}

// Verbs and objects of "ignore the previous instructions" in English, German, French, Spanish, Italian,
// Portuguese, Dutch, Russian and Serbo-Croatian. Matched on the normalised (lower-cased, NFKC) text.
// Only verbs that mean "pay no attention to". Everyday technical verbs (override, bypass, drop, skip, abandon) made
// "How do I override CSS rules?" or "bypass the cache rules in nginx" score 0.95+ while adding no training recall.
const OVERRIDE_VERBS =
  'ignore|ignoriere|ignorieren|ignorez|ignora|ignorar|negeer|disregard|forget|vergiss|vergessen|oubliez|oublie|' +
  'olvida|olvide|olvidar|dimentica|esqueça|esqueca|vergeet|zaboravi|забудь|забудьте|игнорируй|игнорируйте';
const OVERRIDE_OBJECTS =
  'instructions?|instruktionen|instruktion|anweisungen|anweisung|befehle|aufgaben|aufträge|auftrag|angaben|informationen|' +
  'instrucciones|istruzioni|instruções|instrucoes|instructies|instrukcije|инструкции|prompts?|rules|regeln|directions|' +
  'guidelines|tasks|assignments|orders|context|programming|restrictions';
// "forget everything" counts only when nothing concrete follows ("ignore all files" is a normal git question).
const EVERYTHING = 'everything|alles|tout|todo|tutto|tudo|sve|всё|все|all|the above|above|the previous|previous|prior';
const EVERYTHING_END =
  '$|[.,;:!?\\-–"]|\\s+(?:above|before|previous|prior|earlier|that|we|you|i|and|what|que|lo|gesagte|davor|bisher|vorher|zuvor|oben|ce|che|was)(?:$|[^\\p{L}])';
// Everyday verbs count only with a possessive or "all/previous" before the object: "drop all your instructions",
// "bypass your restrictions", not "drop the previous tasks from my todo list" or "override CSS rules".
const WEAK_OVERRIDE_RE =
  /(?:^|[^\p{L}])(?:drop|skip|abandon|override|bypass)\s+(?:all\s+)?(?:of\s+)?(?:your|the system'?s?|your previous|your prior|your initial|your original)\s+(?:\p{L}+\s+){0,2}?(?:instructions?|prompts?|rules|guidelines|programming|restrictions|filters?|safety|directives?)(?:$|[^\p{L}])/u;
// Cheap necessary conditions of the two regexes (each verb contains one of these), tested first: the full regexes
// with their Unicode classes were a third of the signals' cost on ordinary text.
const OVERRIDE_HINT = /ignor|negeer|disregard|forget|vergiss|vergessen|oubli|olvid|dimentica|esque|vergeet|zaboravi|забудь|игнорируй/;
const WEAK_OVERRIDE_HINT = /drop|skip|abandon|override|bypass/;
const OVERRIDE_RE = new RegExp(
  `(?:^|[^\\p{L}])(?:${OVERRIDE_VERBS})(?:(?:[^\\p{L}]+\\p{L}+){0,4}?[^\\p{L}]+(?:${OVERRIDE_OBJECTS})(?:$|[^\\p{L}])|[^\\p{L}]+(?:${EVERYTHING})(?:${EVERYTHING_END}))`,
  'u',
);
// "from now on" / "ab jetzt" alone are ordinary requests ("from now on, answer in British English"); the
// classifier's bigrams still weigh them, without the near-certain signal weight.
const NEW_TASK_RE =
  /\b(?:new (?:task|instructions?)|further tasks|now new tasks|neue (?:aufgabe|anweisungen|aufgaben)|nun folgen|abweichend zu vorherigen|(?:previous|preceding|prior|above|bisherigen|vorherigen|obigen) (?:instructions?|anweisungen|informationen|ausführungen)|your instructions are now|change your instructions)\b/u;

// Persona requests ("act as a senior engineer", "pretend to be an interviewer", "role-play a customer") are
// everyday prompts; only the re-identity and jailbreak set-ups are a signal. The data set's persona rows
// are still learned through the classifier's n-grams, which negatives can counterweigh. A bare "developer mode" is
// not a signal either: it is a phone, browser and OS setting ("Explain the developer mode setting on Android
// phones" scored 0.70 once the signal's weight grew), no training attack uses the phrase, and the `jailbreak`
// concept still counts it; "you are now in developer mode" fires through "you are now".
/**
 * What a service tells a user they now are ("you are now subscribed", "… logged in", "… a member"): no persona switch.
 * Read by `role_play` here and by the `persona` concept (concepts.ts).
 */
export const SERVICE_STATES =
  'subscribed|unsubscribed|registered|enrolled|signed|logged|connected|verified|eligible|ready|able|a member|' +
  'part of|booked|confirmed|checked|on the|in the queue|following';
const ROLE_PLAY_RE =
  new RegExp(String.raw`\b(?:you are now(?! (?:${SERVICE_STATES})\b)|now you are|pretend you (?:are|can)|stay (?:fully )?in (?:their|your) roles?|dan mode|jailbreak|du bist jetzt|jetzt bist du|nun bist du|in deiner rolle|tu es maintenant|ahora eres)\b`, 'u');

const PROMPT_REVEAL_RE =
  /\b(?:(?:show|print|reveal|output|repeat|display|spell|tell me|what (?:are|were|is)|give me|list)\b[^.?!]{0,40}\b(?:system prompt|your (?:initial |original |system )?(?:prompt|instructions|rules)|prompt[- _]?texts?|the (?:full |whole |initial |original |hidden |secret )prompt|(?:all |the |any |your )?(?:hidden|secret) (?:prompt|instructions))|(?:written|said|stated) (?:at the beginning|above|before)|beginning of this prompt|(?:zeige|gib|verrate)[^.?!]{0,40}(?:prompt|anweisungen))/u;

const OUTPUT_FORCING_RE =
  /\b(?:(?<!\b(?:i|you|we|did) )just (?:say|output|print|write)|only (?:say|output|reply|answer)|repeat after me|print ['"]|output ['"]|(?:sage|schreibe|schreib) (?:nur|mir nur)|haha pwned|i have been pwned)\b/u;

const IGNORE_CONTEXT_RE =
  /\b(?:not (?:by|from|according to) the (?:articles?|documents?|context)|(?:ignore|disregard)\w* (?:all )?(?:the )?(?:provided )?(?:documents?|articles?|context)|disregarding the (?:articles?|documents?|context)|despite what you'?ve been told|do not look in the documents)\b/u;

// Fake chat-role delimiters: markdown headers or tags that pretend a new system/assistant turn starts.
// A bare "user:" / "System:" line is a pasted transcript or a bug report ("System: macOS 14"); only header or
// bracket forms and the chat-template tokens are.
const FAKE_ROLE_RE =
  /(?:^|\n)\s*(?:#{2,}\s*|\[\s*)(?:system|assistant|developer|human|ai|user)\s*(?:\]\s*)?:|<\/?\s*(?:system|user|assistant|developer|im_start|im_end|s)\s*>|<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>|\[\/?(?:inst|sys)\]|<<\/?sys>>/iu;

// Tag characters and bidi overrides never occur in ordinary prompts; zero-width characters do (translation
// artefacts, Khmer/Thai word separators), so they count only when hidden inside a Latin word ("ig\u200Bnore").
const INVISIBLE_RE = /[\u{E0000}-\u{E007F}]|[\u202A-\u202E\u2066-\u2069]|[A-Za-z][\u200B-\u200D\u2060-\u2064\uFEFF]+[A-Za-z]/u;
// Pasted "documents" or "context" that carry the attacker's statement (indirect injection in RAG style).
// "Document:" / "Context:" headings are how every RAG prompt is written; only template-variable style ("$document")
// or a braced/quoted block right after the label is unusual.
const FAKE_CONTEXT_RE = /(?:^|\s)(?:\$(?:documents?|context|kontext|artikel|article|instruction)\s*[:{"\u201c\u201e=-]|(?:documents?|context|kontext|artikel|article|instruction|additional instruction)\s*(?::\s*)?[{\u201c\u201e]|additional instruction\s*- )/u;
const SPACED_LETTERS_RE = /(?:^|\s)(?:\p{L} ){6,}\p{L}(?:\s|$)/u;
const ESCAPED_NEWLINES_RE = /(?:\\\s?n\s*){4,}|\n{6,}/;

/** Decoded texts of the base64 runs (40+ characters) that decode to printable text. Pure. */
export function decodeBase64Runs(raw: string): string[] {
  const out: string[] = [];
  // A linear scan for long base64-alphabet runs first: the regex alone re-scans inside every word.
  let runStart = 0;
  for (let i = 0; i <= raw.length; i++) {
    const c = i < raw.length ? raw.charCodeAt(i) : 32;
    const inAlphabet =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;
    if (inAlphabet) continue;
    if (i - runStart >= 40) {
      const decoded = decodeTextBase64(raw.slice(runStart, i).replace(/=+$/, ''));
      if (decoded !== undefined) out.push(decoded);
    }
    runStart = i + 1;
  }
  return out;
}

/** A run counts only when it decodes to mostly printable text (hashes, keys and ids do not). */
function decodeTextBase64(run: string): string | undefined {
  // Hex digests and long alphanumerics without mixed case are ids, not encoded text.
  if (run.length < 40 || run.includes('=') || !/[a-z]/.test(run) || !/[A-Z]/.test(run)) return undefined;
  const bytes = Buffer.from(run.slice(0, 400), 'base64');
  let printable = 0;
  for (const b of bytes) if ((b >= 32 && b < 127) || b === 10 || b === 13 || b === 9) printable++;
  return bytes.length > 0 && printable / bytes.length > 0.9 ? bytes.toString('latin1') : undefined;
}

export const SIGNALS: readonly SignalDef[] = [
  {
    name: 'override_instructions',
    prior: 0,
    test: (_r, n) => (OVERRIDE_HINT.test(n) && OVERRIDE_RE.test(n)) || (WEAK_OVERRIDE_HINT.test(n) && WEAK_OVERRIDE_RE.test(n)),
  },
  { name: 'new_instructions', prior: 0, test: (_r, n) => NEW_TASK_RE.test(n) },
  { name: 'role_play', prior: 0, test: (_r, n) => ROLE_PLAY_RE.test(n) },
  { name: 'prompt_reveal', prior: 0, test: (_r, n) => PROMPT_REVEAL_RE.test(n) },
  { name: 'output_forcing', prior: 0, test: (_r, n) => OUTPUT_FORCING_RE.test(n) },
  { name: 'ignore_context', prior: 0, test: (_r, n) => IGNORE_CONTEXT_RE.test(n) },
  { name: 'fake_context', prior: 0, test: (_r, n) => FAKE_CONTEXT_RE.test(n) },
  { name: 'fake_role_marker', prior: 3, test: (r) => FAKE_ROLE_RE.test(r) },
  { name: 'base64_payload', prior: 2, test: (r) => r.length >= 40 && decodeBase64Runs(r).length > 0 },
  { name: 'invisible_characters', prior: 3, test: (r) => INVISIBLE_RE.test(r) },
  { name: 'spaced_letters', prior: 1, test: (r) => SPACED_LETTERS_RE.test(r) },
  { name: 'escaped_newlines', prior: 1, test: (r) => ESCAPED_NEWLINES_RE.test(r) },
  { name: 'encoded_text', prior: 1, test: (r) => decodeMorse(r).length > 0 || decodeCharCodes(r).length > 0 },
];

/** Text hidden in Unicode tag characters (U+E0020..U+E007E mirror ASCII), or '' when there is none. Pure. */
export function decodeTagCharacters(raw: string): string {
  let out = '';
  for (const ch of raw) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

/** Names of the signals that fire on a text, in SIGNALS order. Pure. */
export function detectSignals(raw: string, norm: string): string[] {
  const out: string[] = [];
  for (const s of SIGNALS) if (s.test(raw, norm)) out.push(s.name);
  return out;
}
