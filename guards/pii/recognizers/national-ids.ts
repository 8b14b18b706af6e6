// Government identifiers. Formats that are "just N digits" need a context word; formats with letters or
// punctuation that is distinctive enough (NINO, PAN, DNI, formatted CPF) stand on their own plus their checksum.
import { contextWords, digitsOf, hasContext, isDigit, KW, needDigits, type Recognizer } from '../recognizer.js';
import {
  allSame, cnpjValid, codiceFiscaleValid, cpfValid, dniValid, itinValid, luhnValid, nhsValid, nieValid, ssnValid,
  verhoeffValid,
} from '../validators/checksums.js';

const SSN_CONTEXT = contextWords(['ssn', 'ssns', 'social security', 'social sec', 'soc sec', 'ss#', 'ss no', 'tax id', 'tin']);
const ITIN_CONTEXT = contextWords(['itin', 'taxpayer', 'tax id', 'tin', 'individual taxpayer']);

export const usSsn: Recognizer = {
  category: 'us_ssn',
  priority: 75,
  pattern: /\b(?<![\w\-.])\d{3}([\- ]?)\d{2}\1\d{4}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [3, 9], minDigits: 9 },
  prefilter: needDigits(0, 9),
  accept(m, text) {
    if (!ssnValid(digitsOf(m[0]))) return false;
    // 123-45-6789 is the SSN's own shape; spaced or bare nine digits need the word.
    return m[1] === '-' || hasContext(text, m.index, m.index + m[0].length, SSN_CONTEXT);
  },
};

export const usItin: Recognizer = {
  category: 'us_itin',
  priority: 75,
  pattern: /\b(?<![\w\-.])9\d{2}([\- ]?)[5-9]\d\1\d{4}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [3, 9], minDigits: 9, test: (t, s) => t[s] === '9' },
  prefilter: needDigits(0, 9),
  accept(m, text) {
    if (!itinValid(digitsOf(m[0]))) return false;
    return m[1] === '-' || hasContext(text, m.index, m.index + m[0].length, ITIN_CONTEXT);
  },
};

const PASSPORT_CONTEXT = contextWords(['passport', 'passport no', 'passport number', 'passport#', 'reisepass', 'pasaporte', 'passeport', 'passaporto']);

export const usPassport: Recognizer = {
  category: 'us_passport',
  priority: 60,
  pattern: /\b(?<![\w\-])[A-Z]?\d{8,9}(?![\w\-])/g,
  token: { first: 'any', lengths: [8, 9, 10], digitFrom: 8, test: (t, s) => isDigit(t.charCodeAt(s)) || isDigit(t.charCodeAt(s + 1)) },
  prefilter: needDigits(0, 8),
  accept: (m, text) => !allSame(digitsOf(m[0])) && hasContext(text, m.index, m.index + m[0].length, PASSPORT_CONTEXT, 48, 0),
};

const DL_CONTEXT = contextWords([
  "driver's license", 'drivers license', 'driver license', "driver's licence", 'driving licence', 'driving license',
  'license number', 'licence number', 'dl', 'dl#', 'dln', 'license no', 'licence no',
]);
// "license number" alone also precedes software and business licence keys, and "DL" is also deep learning: shapes
// with letters need a driver word.
const DL_DRIVER_CONTEXT = contextWords([
  "driver's license", 'drivers license', 'driver license', "driver's licence", 'drivers licence', 'driver licence',
  'driving licence', 'driving license', 'dl#', 'dln', 'dl no', 'dl number',
]);
/** The classic shape: up to two capitals, then digits (dashes allowed between them). */
const DL_CLASSIC = /^[A-Z]{0,2}\d[\d\-]{3,15}\d$/;
const DL_DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4})$/;
/** Letters before and/or after the digits, either case (California a1234567, Maine 1234567a, Missouri 12345678AB, Washington SMITHJD1234*). */
const DL_LETTERED = /^([A-Za-z]{0,12})(\d(?:-?\d){0,18})([A-Za-z]{0,2})\*?$/;
/** Letters inside: Iowa 123AB4567, New Hampshire 12ABC34567, Kansas K1L2M. */
const DL_INNER = /^(?:\d{2,3}[A-Za-z]{2,3}\d{4,5}|[A-Za-z]\d[A-Za-z]\d[A-Za-z])$/;

/** Whether a token mixing letters and digits has one of the US state licence shapes (not 600x800, JPEG2000, 2000s). */
function dlShapeOk(raw: string): boolean {
  if (DL_INNER.test(raw)) return true;
  const m = DL_LETTERED.exec(raw);
  if (!m) return false;
  const [, pre, digits, suf] = m;
  const n = digitsOf(digits).length;
  // 2000s, 12345th, 100000km: a quantity with an ordinal or unit (the state formats carry 7+ digits before letters).
  if (suf && suf === suf.toLowerCase() && n < 7) return false;
  if (n >= 5) return pre.length + n + suf.length >= 6;
  // Washington: 7-11 letters, then 1-4 digits (older cards: capitals, digits, two check letters, FRANCRF705BA). The
  // letters must not be a word (Windows10, COVID19): mixed case that is not CamelCase, or capitals on both sides.
  if (pre.length < 7) return false;
  if (suf && /^[A-Z]+$/.test(pre + suf)) return true;
  return /[a-z]/.test(pre) && /[A-Z]/.test(pre.slice(1)) && !/^(?:[A-Z][a-z]+)+$/.test(pre);
}

export const usDriverLicense: Recognizer = {
  category: 'us_driver_license',
  priority: 58,
  // A token of 5-25 letters/digits (single dashes between, Washington's trailing *) with a digit among its first 13
  // characters; the lookahead keeps the regex from trying every word.
  pattern: /\b(?<![\w\-*])(?=[A-Za-z]{0,12}\d)[A-Za-z0-9](?:-?[A-Za-z0-9]){4,24}\*?(?![\w\-*])/g,
  // Every context word contains "licen" or starts with "dl": texts without them skip the regex.
  prefilter: (_t, f) => f.digits >= 1 && (f.keywords() & (KW.LICEN | KW.DL)) !== 0,
  accept(m, text) {
    const raw = m[0];
    const end = m.index + raw.length;
    if (DL_DATE.test(raw)) return false;
    if (DL_CLASSIC.test(raw)) {
      const d = digitsOf(raw);
      return d.length >= 5 && !allSame(d) && hasContext(text, m.index, end, DL_CONTEXT, 48, 0);
    }
    return dlShapeOk(raw) && hasContext(text, m.index, end, DL_DRIVER_CONTEXT, 48, 0);
  },
};

const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

export const ukNino: Recognizer = {
  category: 'uk_nino',
  priority: 75,
  pattern: /\b(?<![\w\-])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w\-])/g,
  token: { first: 'upper', lengths: [2, 4, 6, 8, 9], digitFrom: 4 },
  prefilter: needDigits(6),
  accept: (m) => !NINO_BAD_PREFIX.has(m[0].slice(0, 2)),
};

const NHS_CONTEXT = contextWords(['nhs', 'national health', 'health service', 'nhs no', 'nhs number', 'chi number', 'patient']);

export const ukNhs: Recognizer = {
  category: 'uk_nhs',
  priority: 72,
  pattern: /\b(?<![\w\-.])\d{3}([ \-]?)\d{3}\1\d{4}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [3, 10], minDigits: 10 },
  prefilter: needDigits(0, 10),
  accept: (m, text) => {
    const d = digitsOf(m[0]);
    return nhsValid(d) && !allSame(d) && hasContext(text, m.index, m.index + m[0].length, NHS_CONTEXT);
  },
};

const SIN_CONTEXT = contextWords(['sin', 'social insurance', 'assurance sociale', 'nas']);

export const caSin: Recognizer = {
  category: 'ca_sin',
  priority: 72,
  pattern: /\b(?<![\w\-.])[0-79]\d{2}([ \-]?)\d{3}\1\d{3}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [3, 9], minDigits: 9 },
  prefilter: needDigits(0, 9),
  accept: (m, text) => luhnValid(digitsOf(m[0])) && hasContext(text, m.index, m.index + m[0].length, SIN_CONTEXT),
};

const AADHAAR_CONTEXT = contextWords(['aadhaar', 'aadhar', 'adhaar', 'uidai', 'uid', 'आधार']);

export const inAadhaar: Recognizer = {
  category: 'in_aadhaar',
  priority: 72,
  pattern: /\b(?<![\w\-.])[2-9]\d{3}([ \-]?)\d{4}\1\d{4}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [4, 12], minDigits: 12 },
  prefilter: needDigits(0, 12),
  accept: (m, text) => {
    const d = digitsOf(m[0]);
    return verhoeffValid(d) && !allSame(d) && hasContext(text, m.index, m.index + m[0].length, AADHAAR_CONTEXT);
  },
};

export const inPan: Recognizer = {
  category: 'in_pan',
  priority: 75,
  // 4th letter is the holder type (P person, C company, H HUF, F firm, A AOP, T trust, B BOI, L local, J juridical, G govt).
  pattern: /\b(?<![\w\-])[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z](?![\w\-])/g,
  token: { first: 'upper', lengths: [10], digitFrom: 10 },
  prefilter: needDigits(4),
};

const CPF_CONTEXT = contextWords(['cpf', 'cadastro de pessoas']);
const CNPJ_CONTEXT = contextWords(['cnpj', 'cadastro nacional']);

export const brCpf: Recognizer = {
  category: 'br_cpf',
  priority: 78,
  pattern: /\b(?<![\w\-.\/])\d{3}(\.?)\d{3}\1\d{3}-?\d{2}(?![\w\-\/]|\.\d)/g,
  token: { first: 'digit', lengths: [3, 9, 11], minDigits: 11 },
  prefilter: needDigits(0, 11),
  accept(m, text) {
    if (!cpfValid(digitsOf(m[0]))) return false;
    return /[.\-]/.test(m[0]) || hasContext(text, m.index, m.index + m[0].length, CPF_CONTEXT);
  },
};

export const brCnpj: Recognizer = {
  category: 'br_cnpj',
  priority: 78,
  pattern: /\b(?<![\w\-.\/])\d{2}(\.?)\d{3}\1\d{3}\/?\d{4}-?\d{2}(?![\w\-\/]|\.\d)/g,
  token: { first: 'digit', lengths: [2, 8, 12, 14], minDigits: 14 },
  prefilter: needDigits(14), // a group of 14 digits is 14 digits
  accept(m, text) {
    if (!cnpjValid(digitsOf(m[0]))) return false;
    return m[0].includes('/') || hasContext(text, m.index, m.index + m[0].length, CNPJ_CONTEXT);
  },
};

export const esDni: Recognizer = {
  category: 'es_dni',
  priority: 75,
  pattern: /\b(?<![\w\-])\d{8}-?[A-Z](?![\w\-])/g,
  token: { first: 'digit', lengths: [8, 9], minDigits: 8 },
  prefilter: needDigits(0, 8),
  accept: (m) => dniValid(m[0].replace('-', '')),
};

export const esNie: Recognizer = {
  category: 'es_nie',
  priority: 75,
  pattern: /\b(?<![\w\-])[XYZ]-?\d{7}-?[A-Z](?![\w\-])/g,
  token: { first: 'upper', lengths: [1, 8, 9], digitFrom: 8, test: (t, s) => t[s] === 'X' || t[s] === 'Y' || t[s] === 'Z' },
  prefilter: needDigits(0, 7),
  accept: (m) => nieValid(m[0].replace(/-/g, '')),
};

export const itFiscalCode: Recognizer = {
  category: 'it_fiscal_code',
  priority: 75,
  // Digits may be replaced by LMNPQRSTUV ("omocodia") when two people would otherwise share a code.
  pattern: /\b(?<![\w\-])[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[ABCDEHLMPRSTabcdehlmprst][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![\w\-])/g,
  token: { first: 'letter', lengths: [16] },
  prefilter: needDigits(2),
  accept: (m) => codiceFiscaleValid(m[0].toUpperCase()),
};
