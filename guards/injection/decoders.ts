/**
 * Decoders for text smuggled past a reader in an encoding a model can still read: Morse, decimal/hex character
 * codes, `\u`/`\x` escapes, rot13 and other Caesar shifts. Each returns the decoded text of the runs it finds (or
 * nothing), and the detector scores the decoded text like any other (see detector.ts). All are linear and bounded:
 * at most MAX_DECODED characters per text.
 */
const MAX_DECODED = 4000;

// Morse: 8+ letters of dots and dashes separated by spaces, "/" or double spaces between words.
const MORSE_RUN = /(?:[.\-·−–—_]{1,7}(?: {1,3}| ?\/ ?)){7,}[.\-·−–—_]{1,7}/g;
const MORSE: Record<string, string> = {
  '.-': 'a', '-...': 'b', '-.-.': 'c', '-..': 'd', '.': 'e', '..-.': 'f', '--.': 'g', '....': 'h', '..': 'i',
  '.---': 'j', '-.-': 'k', '.-..': 'l', '--': 'm', '-.': 'n', '---': 'o', '.--.': 'p', '--.-': 'q', '.-.': 'r',
  '...': 's', '-': 't', '..-': 'u', '...-': 'v', '.--': 'w', '-..-': 'x', '-.--': 'y', '--..': 'z', '-----': '0',
  '.----': '1', '..---': '2', '...--': '3', '....-': '4', '.....': '5', '-....': '6', '--...': '7', '---..': '8',
  '----.': '9', '.-.-.-': '.', '--..--': ',', '..--..': '?', '-.-.--': '!', '.----.': "'",
};

// Two Morse letters in a row, which every run holds: a test about 8× cheaper on prose than the run regex itself
// (almost every text has a "." or a "-").
const MORSE_HINT = /[.\-·−–—_](?: {1,3}| ?\/ ?)[.\-·−–—_]/;

function morseRuns(raw: string): string[] {
  if (!MORSE_HINT.test(raw)) return [];
  const out: string[] = [];
  for (const m of raw.matchAll(MORSE_RUN)) {
    const words = m[0].replace(/[·]/g, '.').replace(/[−–—_]/g, '-').split(/ ?\/ ?| {2,}/);
    const text = words.map((w) => w.split(' ').map((c) => MORSE[c] ?? '').join('')).join(' ');
    if (/[a-z]{2}/.test(text)) out.push(text.slice(0, MAX_DECODED));
  }
  return out;
}

// Decimal character codes ("87 104 97 116 ..."), 8+ in a row, every one a printable code point.
const DECIMAL_RUN = /(?<![\d.])(?:\d{2,5}[ ,]+){7,}\d{2,5}(?![\d.])/g;
// Hex bytes / code points: "\x57\x68", "\u0057", "0x57 0x68", "57 68 61 74" (spaced pairs).
const ESCAPE_RUN = /(?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]{1,6}\}|%[0-9a-fA-F]{2}){8,}|(?:0x[0-9a-fA-F]{2}[ ,]+){7,}0x[0-9a-fA-F]{2}/g;

function printable(cp: number): boolean {
  return (cp >= 32 && cp < 127) || cp === 10 || (cp >= 0xa0 && cp <= 0x2fff) || (cp >= 0x3000 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xff00 && cp <= 0xffef);
}

function charCodeRuns(raw: string): string[] {
  const out: string[] = [];
  if (/\d[ ,]+\d/.test(raw)) {
    for (const m of raw.matchAll(DECIMAL_RUN)) {
      const codes = m[0].split(/[ ,]+/).map(Number);
      // Ordinary number lists (prices, measurements) are rarely all printable code points with letters among them.
      if (!codes.every(printable) || codes.filter((c) => (c >= 65 && c <= 122) || c >= 0x4e00).length < codes.length / 2) continue;
      out.push(String.fromCodePoint(...codes.slice(0, MAX_DECODED)));
    }
  }
  if (raw.includes('\\') || raw.includes('%') || raw.includes('0x')) {
    for (const m of raw.matchAll(ESCAPE_RUN)) {
      const s = m[0];
      if (s.startsWith('0x')) {
        out.push(Buffer.from(s.split(/[ ,]+/).map((h) => parseInt(h, 16))).toString('utf8'));
      } else if (/^\\u/.test(s)) {
        out.push(s.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_, a: string | undefined, b: string | undefined) => String.fromCodePoint(parseInt(a ?? b!, 16))));
      } else {
        const bytes = s.match(/[0-9a-fA-F]{2}(?=\\x|%|$)|(?<=\\x|%)[0-9a-fA-F]{2}/g) ?? [];
        const buf = Buffer.from(bytes.map((h) => parseInt(h, 16)));
        const utf8 = buf.toString('utf8');
        // Not valid UTF-8: GBK bytes (CipherChat's Chinese) decode as latin1 noise; the n-grams of the escapes still count.
        out.push(utf8.includes('\uFFFD') ? buf.toString('latin1') : utf8);
      }
    }
  }
  return out.map((t) => t.slice(0, MAX_DECODED));
}

// The most frequent English words: a Caesar-shifted English text has almost none of them, its decoding many.
const COMMON = new Set('the be to of and a in that have i it for not on with he as you do at this but his by from they we say her she or an will my one all would there their what so up out if about who get which go me when make can like time no just him know take people into year your good some could them see other than then now look only come its over think also back after use two how our work first well way even new want because any these give day most us is are was were how ignore instructions previous tell write'.split(' '));

function shift(text: string, k: number): string {
  return text.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + k) % 26) + base);
  });
}

function commonShare(text: string): number {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.length ? words.filter((w) => COMMON.has(w)).length / words.length : 0;
}

// English letter frequencies (a–z, per mille): a shifted English text has its histogram rotated.
const EN_FREQ = Int32Array.of(82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1);

/**
 * rot13 / Caesar: only for Latin-letter text that reads as almost no English but as English once shifted. The
 * shift is found from the letter histogram (26 × 26 multiplications, no string work), and only that one shift is
 * decoded and checked for common English words; German or Spanish prose peaks at shift 0 and costs one histogram.
 */
export function decodeCaesar(raw: string): string[] {
  const sample = raw.slice(0, 240);
  // The histogram twice over (counts[i + 26] = counts[i]), so that a shift is an offset, not a modulo per product.
  const counts = new Int32Array(52);
  let letters = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) (counts[c - 97]++, letters++);
  }
  if (letters < 20 || letters < sample.length * 0.5) return [];
  counts.copyWithin(26, 0, 26);
  let bestK = 0;
  let best = -1;
  for (let k = 0; k < 26; k++) {
    let score = 0;
    for (let i = 0; i < 26; i++) score += counts[i + k] * EN_FREQ[i];
    if (score > best) (best = score, bestK = k);
  }
  // Text shifted by k reads as English when shifted back by 26 - k.
  if (bestK === 0) return [];
  const back = 26 - bestK;
  if (commonShare(sample) > 0.12 || commonShare(shift(sample, back)) < 0.3) return [];
  return [shift(raw.slice(0, MAX_DECODED), back)];
}

/**
 * The `encoded_text` signal and `decodeHidden` both decode the same text, one right after the other: the last
 * text's result is kept (one entry; the returned arrays are shared and must not be modified).
 */
function lastOne(f: (raw: string) => string[]): (raw: string) => string[] {
  let lastRaw: string | undefined;
  let last: string[] = [];
  return (raw) => {
    if (raw !== lastRaw) {
      last = f(raw);
      lastRaw = raw;
    }
    return last;
  };
}
/** Text written in Morse (8+ letters), decoded; [] when there is none. */
export const decodeMorse: (raw: string) => string[] = lastOne(morseRuns);
/** Text written as decimal character codes or hex escapes, decoded; [] when there is none. */
export const decodeCharCodes: (raw: string) => string[] = lastOne(charCodeRuns);

/** Every decoded text hidden in `raw` by the encodings above. */
export function decodeHidden(raw: string): string[] {
  const morse = decodeMorse(raw);
  const codes = decodeCharCodes(raw);
  const caesar = decodeCaesar(raw);
  // Almost every text hides nothing: no spreading and filtering of three empty arrays on every score.
  if (morse.length + codes.length + caesar.length === 0) return [];
  return [...morse, ...codes, ...caesar].filter((t) => t.trim().length >= 8);
}
