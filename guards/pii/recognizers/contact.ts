// E-mail, phone, network identifiers and credentials embedded in URLs.
import { isIPv6 } from 'node:net';
import { contextWords, digitsOf, hasContext, isDigit, needDigits, runStart, type Recognizer } from '../recognizer.js';

const PHONE_CONTEXT = contextWords([
  'phone', 'telephone', 'tel', 'mobile', 'mob', 'cell', 'cellphone', 'fax', 'desk', 'office', 'home', 'work',
  'call', 'calling', 'called', 'dial', 'ring', 'text', 'sms', 'message', 'messages', 'whatsapp', 'signal',
  'contact', 'reach', 'hotline', 'landline', 'answering', 'tlf', 'telefon', 'telefono', 'teléfono', 'téléphone',
  'portable', 'handy', 'ph', 'cel', 'celular',
]);

const NANP = /^(?:\+?1[ .\-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}$/;
const DATE_LIKE = /^(?:\d{4}[\-./]\d{1,2}[\-./]\d{1,2}|\d{1,2}[\-./]\d{1,2}[\-./]\d{2,4})$/;
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const SIX_DIGIT = /^\d{2} \d{2} \d{2}$/;
const EXTENSION = /\s?(?:x|ext\.?|#)\s?\d{1,6}$/i;

export const email: Recognizer = {
  category: 'email',
  priority: 80,
  // Lookbehind pins the start to the beginning of a local-part run, keeping the scan linear on long tokens.
  pattern:
    /(?<![A-Za-z0-9._%+\-])[A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9\-]|@)/g,
  prefilter: (_t, f) => f.hasAt,
  anchor: { literal: '@', startOf: (t, at) => runStart(t, at, /[A-Za-z0-9._%+\-]/, 64) },
  // scp-style remotes (git@github.com:org/repo.git) are account paths, not mailboxes.
  accept: (m, text) => !(text[m.index + m[0].length] === ':' && /\S/.test(text[m.index + m[0].length + 1] ?? ' ')),
};

const SIX_LABEL_AFTER = /^[ \-,]{0,2}(?:office|fax|mobile|phone|tel|cell|home|work)(?![a-z])/i;

/**
 * Six-digit numbers (Greenland, Faroes: "32 14 56") are phones only when labelled right after ("-Office", " fax"),
 * or with a phone word before and no lower-case word after on the same line ("10 20 30 minutes", "12 34 56 percent" are not).
 */
function sixDigitPhone(text: string, start: number, end: number): boolean {
  const after = text.slice(end, end + 12);
  if (SIX_LABEL_AFTER.test(after)) return true;
  return !/^[ \t]*[a-z]/.test(after) && hasContext(text, start, end, PHONE_CONTEXT, 32, 0);
}

// Per UTF-16 code unit: 1 for what the phone pattern's lookahead accepts after its first digit ([\d ()+.-]); 2 for a
// character its lookbehind refuses before the start ([\w+.\-\/]).
const PHONE_CHAR = new Uint8Array(128);
for (const ch of '0123456789 ()+.-') PHONE_CHAR[ch.charCodeAt(0)] |= 1;
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+.-/') PHONE_CHAR[ch.charCodeAt(0)] |= 2;

/** The phone pattern's lookarounds at `s`: `(?<![\w+.\-\/])(?=[+(]?\d[\d ()+.\-]{5})`. */
function phoneStart(text: string, s: number): boolean {
  if (s > 0) {
    const p = text.charCodeAt(s - 1);
    if (p < 128 && PHONE_CHAR[p] & 2) return false;
  }
  const d = isDigit(text.charCodeAt(s)) ? s : s + 1;
  if (!isDigit(text.charCodeAt(d))) return false;
  for (let k = d + 1; k <= d + 5; k++) {
    const c = text.charCodeAt(k);
    if (!(c < 128 && PHONE_CHAR[c] & 1)) return false;
  }
  return true;
}

export const phone: Recognizer = {
  category: 'phone',
  priority: 50,
  pattern:
    /(?=[+(\d])(?<![\w+.\-\/])(?=[+(]?\d[\d ()+.\-]{5})(?:\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?[ .\-]?|\(\d{1,5}\)[ .\-]?)?\d{1,12}(?:[ .\-]\d{1,12}){0,6}(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?!\w|-\d|[.\/]\d)/g,
  // A match starts at a digit-led token or at a + or ( (the lookbehind rules out a word character before it), with a
  // digit and five more of [\d ()+.-] from there: most numbers of code and logs ("200", "14T22", "v1") fail that test
  // before the regex runs.
  // A digit-led token shorter than six characters is followed by one of [ ()+.-] (a letter ends the match: digits, then
  // nothing of \w).
  token: { first: 'digit', lengths: { min: 1, max: 80 }, after: ' ()+.-', afterBelow: 6, alsoAt: '+(', test: phoneStart },
  prefilter: needDigits(6),
  accept(m, text) {
    const raw = m[0];
    const body = raw.replace(EXTENSION, '');
    const n = digitsOf(body).length;
    if (n === 6 && SIX_DIGIT.test(body)) return sixDigitPhone(text, m.index, m.index + raw.length);
    if (n < 7 || n > 15) return false;
    if (DATE_LIKE.test(body) || DOTTED_QUAD.test(body)) return false;
    const strong =
      NANP.test(body) || (body.startsWith('+') && n >= 8) || (/^\(\d{2,5}\)/.test(body) && n >= 8);
    // A separator, or compact E.164 (+14155552671): both are written as phone numbers, not as other figures.
    if (strong && (/[ .\-()]/.test(body.slice(1)) || /^\+[1-9]\d{7,14}$/.test(body))) return true;
    return hasContext(text, m.index, m.index + raw.length, PHONE_CONTEXT, 40, 16);
  },
};

const URL_PLACEHOLDER_PASSWORD = /^(?:password|pass|passwd|pwd|secret|x+|\*+|<[^>]*>|\$\{[^}]*\}|\{\{.*\}\}|%[sd]|\.\.\.)$/i;

export const urlCredentials: Recognizer = {
  category: 'url_credentials',
  priority: 95,
  // The user part may be empty: redis://:secret@host is how Redis and Celery URLs carry a password.
  pattern: /(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,15}:\/\/[^\s:\/?#@\[\]"'<>]{0,128}:[^\s\/?#@\[\]"'<>]{1,256}@(?=[A-Za-z0-9\[])/g,
  prefilter: (t, f) => f.hasAt && t.includes('://'),
  anchor: { literal: '://', startOf: (t, at) => runStart(t, at, /[A-Za-z0-9+.\-]/, 16) },
  accept(m) {
    const raw = m[0];
    const userStart = raw.indexOf('://') + 3;
    const cred = raw.slice(userStart, -1);
    const password = cred.slice(cred.indexOf(':') + 1);
    if (URL_PLACEHOLDER_PASSWORD.test(password)) return false;
    // Only the user-info is sensitive; keeping scheme and host makes the redacted text still useful.
    return { start: m.index + userStart, end: m.index + raw.length - 1 };
  },
};

const VERSION_BEFORE = /(?:\bv|\bver|\bversions?|\brelease|\bbuild|\bfirmware|\brev|\bsdk|\bnode|\bpython|\bchrome|\bos)\.?\s*:?\s*$/i;

export const ipv4: Recognizer = {
  category: 'ipv4',
  priority: 65,
  pattern:
    /\b(?<![\w.\-])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [1, 2, 3], minDigits: 4, after: '.' },
  prefilter: (t, f) => f.digits >= 4 && t.includes('.'),
  accept(m, text) {
    // The unspecified and broadcast addresses identify nobody.
    if (m[0] === '0.0.0.0' || m[0] === '255.255.255.255') return false;
    // "version 1.2.3.4" and friends are version strings, not addresses.
    return !VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 16), m.index));
  },
};

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);

/** Whether another colon is within four hex digits before or after the colon at `at`. */
function colonNear(text: string, at: number): boolean {
  for (let i = at + 1; i <= at + 5 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) return true;
    if (!isHex(c)) break;
  }
  for (let i = at - 1; i >= at - 5 && i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 58) return true;
    if (!isHex(c)) break;
  }
  return false;
}

export const ipv6: Recognizer = {
  category: 'ipv6',
  priority: 70,
  pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%[A-Za-z0-9_.]{1,15})?(?![\w:])/g,
  prefilter: (_t, f) => f.hasColon,
  // Every colon of an address has another within four hex digits (at least two groups): JSON and log colons mostly
  // do not, and skip the regex.
  anchor: { literal: ':', startOf: (t, at) => runStart(t, at, /[0-9A-Fa-f:]/, 40), near: colonNear },
  accept(m) {
    const addr = m[0].replace(/%.*$/, '');
    // Bare "::" (C++ scopes, empty tables) and anything with fewer than two groups is not worth a finding.
    if ((addr.match(/[0-9A-Fa-f]+/g) ?? []).length < 2) return false;
    return isIPv6(addr);
  },
};

export const macAddress: Recognizer = {
  category: 'mac_address',
  priority: 70,
  pattern:
    /\b(?<![0-9A-Fa-f:\-.])(?:[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f:\-.]?[0-9A-Za-z])/g,
  // aa:bb:… or aa-bb-… (a 2-character first token), or aabb.ccdd.eeff (4).
  token: { first: 'any', lengths: [2, 4], after: ':-.' },
  prefilter: (t, f) => f.hasColon || t.includes('-') || t.includes('.'),
  accept(m) {
    const hex = m[0].replace(/[:\-.]/g, '');
    // All-zero / all-F and purely numeric dashed groups (dates, ids) are not addresses.
    if (/^(?:0+|f+)$/i.test(hex)) return false;
    return !(m[1] === '-' && /^\d+$/.test(hex));
  },
};
