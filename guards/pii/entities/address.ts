// Street addresses without a model: street-type words and glued street morphemes of ~20 languages next to a house
// number, P.O. boxes, and whatever follows an address cue ("my address is", "lives at", "Address:"). Lines right
// after a detected street (apartment, postcode, city, country) belong to the same address block.

export interface Span { start: number; end: number }

const EN_TYPES =
  'street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|square|sq|terrace|way|parkway|' +
  'pkwy|highway|hwy|circle|cir|crescent|close|trail|alley|row|walk|grove|gardens|mews|plaza|pike|loop|crossing|' +
  'heights|ridge|hollow|expressway|freeway|turnpike|causeway|esplanade|promenade|embankment|wharf|quay';
const PREFIX_TYPES =
  'rue|avenue|av\\.|avenida|av\\.|rua|calle|c/|carrer|via|viale|vicolo|piazza|piazzale|corso|strada|plaza|paseo|' +
  'camino|travessa|largo|praça|praca|ulica|ul\\.|ulitsa|trg|chemin|allée|allee|impasse|quai|place|boulevard|' +
  'rambla|ronda|estrada|rodovia|alameda|sokak|cadde|caddesi|odos|leoforos';
// Street words glued to the name: Hauptstraße, Wingertweg, Koskikatu, Breivangvegen, Drottninggatan, Kerkstraat.
const GLUED =
  'straße|strasse|str\\.|gasse|weg|allee|platz|damm|ufer|steig|pfad|gade|vej|vænget|stræde|gatan|gata|vägen|' +
  'väg|veien|vegen|vei|veg|gata|katu|tie|kuja|polku|straat|laan|plein|gracht|dreef|kade|singel|utca|út|útja|tér|' +
  'ulice|náměstí|ulica|cesta|ulitsa|prospekt|sokağı|caddesi';

// The glued words that also stand on their own after an adjective or a name ("Berliner Straße", "Nørre Allé").
const SPLIT = 'Straße|Strasse|Str\\.|Gasse|Weg|Allee|Allé|Platz|Damm|Ufer|Ring|Chaussee|Gade|Vej|Gatan|Vägen|Veien|Straat|Laan|Plein|Gracht|Kade|Utca|Ulica|Katu';

/** `street|st` → `[Ss]treet|[Ss]t`: street words in title or lower case, not SHOUTED acronyms or mixed case. */
const cased = (alts: string) => alts.split('|').map((a) => (/^\p{L}/u.test(a) ? `[${a[0].toUpperCase()}${a[0]}]${a.slice(1)}` : a)).join('|');

const NUM = '\\d{1,6}[A-Za-z]?(?:[-/]\\d{1,5}[A-Za-z]?)?';
const WORD = "[\\p{Lu}\\d][\\p{L}\\p{M}\\d'’.-]{0,30}";
const UNIT = `(?:,?[ \\t]*(?:${cased('apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|no')}|#)\\.?[ \\t]*#?\\d{1,5}[A-Za-z]?)?`;

// Each pattern runs only when its cheap prefilter matches somewhere (most text has no street words at all).
const PATTERNS: RegExp[] = [
  // 2437 Main St · 636 1812 Rue De La Gare · 217 Lovers Lane
  new RegExp(`(?<![\\p{L}\\d.])(?:${NUM}[ \\t]+)?${NUM},?[ \\t]+(?:${WORD}[ \\t]+){0,4}?(?:${cased(EN_TYPES)})\\b\\.?${UNIT}`, 'gu'),
  // Rue de la Gare 12 · Rua Diadema 1903 · Strada Provinciale 65 22 · Via Roma 1
  new RegExp(`(?<![\\p{L}\\d])(?:${NUM}[ \\t]+)?(?:${cased(PREFIX_TYPES)})[ \\t]+(?:[\\p{L}\\p{M}'’.-]{1,30}[ \\t]+){0,4}?${NUM}(?:[ \\t]+\\d{1,4})?\\b${UNIT}`, 'gu'),
  // Hauptstraße 5 · 6750 Koskikatu 25 Apt. 864 · Király u. 15.
  new RegExp(`(?<![\\p{L}\\d])(?:${NUM}[ \\t]+)?(?:\\p{Lu}[\\p{L}\\p{M}'’-]*[ \\t]+){0,2}?(?:\\p{Lu}[\\p{L}\\p{M}-]{2,}(?:${GLUED})|[\\p{L}\\p{M}-]+[ \\t]u\\.)[ \\t]*${NUM}\\b\\.?${UNIT}`, 'gu'),
  // Berliner Straße 12 · Große Hamburger Straße 2 · Kölner Str. 7 · Nørre Allé 5 (the street word on its own)
  new RegExp(`(?<![\\p{L}\\p{M}])(?:\\p{Lu}[\\p{L}\\p{M}'’-]*[ \\t]+){1,3}(?:${SPLIT})[ \\t]*${NUM}\\b\\.?${UNIT}`, 'gu'),
  // 20789 Allika 46 · 0547 Bygget 91 (house number, street name, number: the number-first European form)
  new RegExp(`(?<![\\p{L}\\d.,:/-])${NUM}[ \\t]+(?:\\p{Lu}[\\p{L}\\p{M}'’.-]{1,30}[ \\t]+){1,3}\\d{1,5}[A-Za-z]?(?![\\p{L}\\d.:/-]|\\.\\d)${UNIT}`, 'gu'),
  // Tarsicio Isle Street · Lahtinen Road (named street, full type word, capitalised)
  /(?<![\p{L}\p{M}])(?:\p{Lu}[\p{L}\p{M}'’-]{1,30}[ \t]+){1,3}(?:Street|Avenue|Road|Lane|Boulevard|Drive|Parkway)\b/gu,
  // Apt. 839 · Suite 501 on their own
  /\b(?:apt|apartment|suite|ste)\.?[ \t]*#?\d{1,5}[A-Za-z]?\b/gi,
  // P.O. Box 104 · PSC 3294, Box 9168 · Unit 8505 Box 9220 (+ APO/FPO/DPO line)
  /\b(?:P\.?[ \t]?O\.?[ \t]?|(?:PSC|Unit|USNS[ \t]+\p{Lu}\p{L}+|USS[ \t]+\p{Lu}\p{L}+)[ \t]+\d{4},?[ \t]+)Box[ \t]+\d{1,6}\b(?:[ \t]*\n?[ \t]*[AFD]PO[ \t]+A[AEP][ \t]+\d{5})?/giu,
];

const GLUED_BEFORE_DIGIT = new RegExp(`(?:${GLUED}|[ \\t]u\\.)[ \\t]*\\d`, 'u');
const SPLIT_BEFORE_DIGIT = new RegExp(`(?:${SPLIT})[ \\t]*\\d`, 'u');
/** Words by their last code unit. */
function byLast(alts: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const w of new Set(alts.split('|').map((g) => g.replace('\\.', '.')))) {
    const last = w.charCodeAt(w.length - 1);
    out.set(last, [...(out.get(last) ?? []), w]);
  }
  return out;
}
const GLUED_BY_LAST = byLast(GLUED);
const SPLIT_BY_LAST = byLast(SPLIT);
const DIGIT_RUN = /\d+/g;

/**
 * Which street words end right before the first digit of a run (then spaces or tabs): bit 1 a glued one (or " u."),
 * bit 2 one standing on its own. Read from the digits: text has far fewer digit runs than positions where one of ~75
 * words could start (3–5× faster than the regexes on prose and code); a text with more than 64 runs (logs) is left
 * to the regexes. Read once per text, for the two patterns that ask.
 */
function streetWordsBeforeDigits(text: string): number {
  let mask = 0;
  DIGIT_RUN.lastIndex = 0;
  let runs = 0;
  for (let m = DIGIT_RUN.exec(text); m && mask !== 3; m = DIGIT_RUN.exec(text)) {
    if (++runs > 64) {
      mask = (GLUED_BEFORE_DIGIT.test(text) ? 1 : 0) | (SPLIT_BEFORE_DIGIT.test(text) ? 2 : 0);
      break;
    }
    let j = m.index;
    while (j > 0 && (text.charCodeAt(j - 1) === 32 || text.charCodeAt(j - 1) === 9)) j--;
    const c = text.charCodeAt(j - 1);
    if (c === 46 && j >= 3 && text.charCodeAt(j - 2) === 117 && (text.charCodeAt(j - 3) === 32 || text.charCodeAt(j - 3) === 9)) mask |= 1;
    const glued = GLUED_BY_LAST.get(c);
    if (glued && !(mask & 1)) for (const w of glued) if (text.endsWith(w, j)) mask |= 1;
    const split = SPLIT_BY_LAST.get(c);
    if (split && !(mask & 2)) for (const w of split) if (text.endsWith(w, j)) mask |= 2;
  }
  return mask;
}

/** Per pattern: a regex the text must match, or a test of the street-word bits, or nothing. */
const PREFILTERS: (RegExp | ((streetWords: number) => boolean) | null)[] = [
  new RegExp(`\\d[ \\t].{0,120}?\\b(?:${cased(EN_TYPES)})\\b`, 'su'),
  new RegExp(`\\b(?:${cased(PREFIX_TYPES)})[ \\t]`, 'u'),
  (streetWords) => (streetWords & 1) !== 0,
  (streetWords) => (streetWords & 2) !== 0,
  null,
  /\b(?:Street|Avenue|Road|Lane|Boulevard|Drive|Parkway)\b/,
  /\b(?:apt|apartment|suite|ste)\.?[ \t]*#?\d/i,
  /\bBox[ \t]+\d/i,
];

// Text after one of these is an address up to the end of the sentence (checked below to look like one). Matched on
// the lower-cased text without the i and u flags: with them this one alternation cost more than everything else.
const CUE =
  /(?:\baddress(?:es)?(?: is| was|:| to| with)?|here they are:|\bli(?:ve|ves|ved|ving) (?:at|on|in)|\bsent to|\bsend (?:\w+ ){0,3}to|located at|\b(?:is|are) at|\bmeet (?:me|you|us) at|\bstop at|\boff at|\bmoved to|\barrived at|\breturn to|\btaxi to|\bcorner of|\bside of|\bis on|\bit is|\bit's in)[ \t]*(?:\n[ \t]*)?(?=\d|apt|suite|unit|p\.?\s?o)/g;
// CUE with the i flag (not u), read on the text itself: the same matches as CUE on the lower-cased text without
// lower-casing it (a copy of every text). Without u, i folds ASCII letters only and lets no other character match
// an ASCII one, as lower-casing does — except KELVIN SIGN, which lower-cases to "k" (a \w for "send … to"): a text
// holding one is lower-cased as before.
const CUE_I = new RegExp(CUE.source, 'gi');
const KELVIN = '\u212a';
// The only character whose lower case has another length (İ → i + U+0307): cue offsets would shift.
const DOTTED_I = '\u0130';
// Joining words inside an address ("Rue de la Paix", "… Springfield and …"), lower case.
const JOINING = 'and|de|la|le|del|di|da|do|na|nan|van|von|der|den|y|[a-z]{1,2}\\.?';
const CONNECTOR = new RegExp(`^(?:${JOINING})$`);
const ADDRESS_WORD = new RegExp(`^(?:apt|apartment|suite|ste|unit|flat|floor|no|box|p\\.?o\\.?|u|st|rd|ave|${JOINING})$`, 'i');

/** Extends from `at` over the address-looking words of one sentence (numbers, capitalised words, unit words). */
function extendCue(text: string, at: number): Span | null {
  let i = at;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (!/^(?:\d|(?:apt|suite|unit|p\.?\s?o\.?\s?box)\b)/i.test(text.slice(i, i + 12))) return null;
  const start = i;
  let end = i;
  let words = 0;
  let digits = false;
  const lowerAll = text.slice(i, i + 120) === text.slice(i, i + 120).toLowerCase();
  const tok = /[ \t]*(?:\n[ \t]*)?([^\s,]+)(,?)/y;
  tok.lastIndex = i;
  let m: RegExpExecArray | null;
  while (words < 16 && (m = tok.exec(text))) {
    // A label ("Mobile:", "Phone:", "Desk:") starts the next field, not more of the address.
    if (m[1].endsWith(':')) break;
    const w = m[1].replace(/[.?!:;)"]+$/, '');
    if (!w) break;
    const isNum = /^\d/.test(w);
    const ok = isNum || /^\p{Lu}/u.test(w) || ADDRESS_WORD.test(w) || (lowerAll && digits && /^\p{L}/u.test(w));
    if (!ok) break;
    if (isNum) digits = true;
    // A lower-case joining word ("de", "la", "and") belongs to the address only when more of it follows:
    // "742 Evergreen Terrace, Springfield and my neighbour" ends at "Springfield".
    if (isNum || lowerAll || !CONNECTOR.test(w)) end = m.index + m[0].length - m[2].length - (m[1].length - w.length);
    words++;
    if (/[?!]$|[^.]\.$/.test(m[1]) && !/^(?:st|u|apt|ave|rd|no|dr)\.$/i.test(m[1])) break; // sentence end
    if (text[tok.lastIndex] === '\n' && text[tok.lastIndex + 1] === '\n') break;
  }
  if (!digits || words < 2) return null;
  return { start, end };
}

const POSTCODE_TOWN = /,?[ \t]+(?:[A-Z]{1,2}-)?\d{4,5}[ \t]+\p{Lu}[\p{L}\p{M}'’-]+(?:[ \t]+(?:am|an|im|sur|on|upon|de|del)?[ \t]*\p{Lu}[\p{L}\p{M}'’-]+)?/uy;
const ZIP_LINE = /^[ \t,]*(?:(?:[\p{L}\p{M}'’.-]+[ \t,]+){0,4}\d{4,6}|\d{3,5}[ \t]?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2})[ \t,]*$/u;
const UNIT_LINE = /^[ \t,]*(?:apt|apartment|suite|ste|unit|flat|floor)\.?[ \t]*#?\d{1,5}[A-Za-z]?[ \t,]*$/iu;

/**
 * Finds street addresses. Returns address spans and the extent of each address block (the following short lines),
 * inside which the caller treats capitalised lines as locations.
 */
export function findAddresses(text: string): { spans: Span[]; blocks: Span[] } {
  const spans: Span[] = [];
  const blocks: Span[] = [];
  if (!/\d/.test(text)) return { spans, blocks };
  const streetWords = streetWordsBeforeDigits(text);
  for (let i = 0; i < PATTERNS.length; i++) {
    const re = PATTERNS[i];
    const pre = PREFILTERS[i];
    if (pre && !(typeof pre === 'function' ? pre(streetWords) : pre.test(text))) continue;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) spans.push({ start: m.index, end: m.index + m[0].length });
  }
  // Lower-casing keeps offsets except for İ; then the cues are skipped rather than misplaced.
  const kelvin = text.includes(KELVIN);
  const cue = kelvin ? CUE : CUE_I;
  const lower = kelvin ? text.toLowerCase() : text;
  cue.lastIndex = 0;
  for (let c = text.includes(DOTTED_I) ? null : cue.exec(lower); c; c = cue.exec(lower)) {
    const sp = extendCue(text, c.index + c[0].length);
    if (sp) spans.push(sp);
  }
  // "Rue de la Paix 10, 75002 Paris": a postcode and a town after the street on the same line are the address's.
  for (const s of spans) {
    POSTCODE_TOWN.lastIndex = s.end;
    const m = POSTCODE_TOWN.exec(text);
    if (m) s.end += m[0].length;
  }
  // Address blocks: following lines that are a unit, a postcode or a short capitalised line.
  for (const s of spans) {
    let end = s.end;
    for (let k = 0; k < 5; k++) {
      let nl = text.indexOf('\n', end);
      if (nl < 0 || !/^[ \t,.]*$/.test(text.slice(end, nl))) break;
      while (/^[ \t>?]*\n/.test(text.slice(nl + 1, nl + 8))) nl = text.indexOf('\n', nl + 1); // blank lines
      const lineEnd = text.indexOf('\n', nl + 1) < 0 ? text.length : text.indexOf('\n', nl + 1);
      const line = text.slice(nl + 1, lineEnd);
      if (line.length > 48 || !/^[ \t>?,]*[\p{Lu}\d]/u.test(line)) break;
      if (UNIT_LINE.test(line) || ZIP_LINE.test(line)) {
        // A postcode (possibly after a country name) is part of the address; a country before it is a location.
        const zip = /\d{4,6}[ \t,]*$|\d{3,5}[ \t]?[A-Z]{2}[ \t,]*$/.exec(line);
        const ls = nl + 1 + (UNIT_LINE.test(line) ? line.search(/\S/) : zip!.index);
        spans.push({ start: ls, end: nl + 1 + line.trimEnd().length });
      }
      end = lineEnd;
    }
    if (end > s.end) blocks.push({ start: s.end, end });
  }
  return { spans, blocks };
}
