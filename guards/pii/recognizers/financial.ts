// Payment cards, bank account identifiers and cryptocurrency addresses.
import { contextWords, hasContext, isDigit, needDigits, type Recognizer } from '../recognizer.js';
import { allSame, abaValid, luhnValid } from '../validators/checksums.js';
import { IBAN_LENGTHS, ibanValid } from '../validators/iban.js';
import { btcBase58Valid, btcBech32Valid, ethAddressValid } from '../validators/crypto-addresses.js';

const CARD_CONTEXT = contextWords([
  'card', 'cc', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'maestro', 'discover', 'diners', 'jcb',
  'unionpay', 'pan', 'payment', 'karte', 'tarjeta', 'carte', 'carta', 'cartão',
]);

/** Issuer prefixes in use (Visa, Mastercard incl. 2-series, Amex, Diners, Discover, JCB, Maestro, UnionPay). */
function cardPrefixOk(d: string): boolean {
  switch (d[0]) {
    // Maestro 0604 (Faker issues it; presidio-research's synthetic cards come from Faker). Context required below.
    case '0': return d.startsWith('0604');
    case '1': return d.startsWith('1800');
    case '2': {
      const p4 = Number(d.slice(0, 4));
      return p4 === 2131 || (p4 >= 2221 && p4 <= 2720);
    }
    case '3': return d[1] === '0' || (d[1] >= '4' && d[1] <= '9');
    case '4': case '5': case '6': return true;
    default: return false;
  }
}

function cardOk(d: string): boolean {
  return d.length >= 12 && d.length <= 19 && cardPrefixOk(d) && !allSame(d) && luhnValid(d);
}

export const creditCard: Recognizer = {
  category: 'credit_card',
  priority: 80,
  pattern: /\b(?<![\w+\-.,\/])\d(?:[ \-]?\d){11,18}(?!\d|[\-.,]\d)/g,
  token: { first: 'digit', lengths: { min: 1, max: 19 }, minDigits: 12 },
  prefilter: needDigits(0, 12),
  accept(m, text) {
    const raw = m[0];
    const seps = raw.match(/[ \-]/g);
    if (seps && new Set(seps).size > 1) return false;
    // Cards are printed in groups of 4 (or 4-6-5); drop trailing groups that are not part of the number.
    const groups = seps ? raw.split(seps[0]) : [raw];
    if (groups.slice(0, -1).some((g) => g.length < 3 || g.length > 6)) return false;
    for (let k = groups.length; k >= 1; k--) {
      const cand = groups.slice(0, k).join('');
      if (!cardOk(cand)) continue;
      const end = m.index + groups.slice(0, k).join(seps ? seps[0] : '').length;
      // 12-13 digit numbers (old Visa, Maestro) and 0-led numbers collide with too many ids to trust without context.
      if ((cand.length < 14 || cand[0] === '0') && !hasContext(text, m.index, end, CARD_CONTEXT, 48, 0)) return false;
      return { start: m.index, end };
    }
    return false;
  },
};

export const iban: Recognizer = {
  category: 'iban',
  priority: 80,
  pattern: /\b(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])/g,
  token: { first: 'letter', lengths: { min: 4, max: 37 }, digitFrom: 4, test: (t, s) => isDigit(t.charCodeAt(s + 2)) && isDigit(t.charCodeAt(s + 3)) },
  prefilter: needDigits(6),
  accept(m) {
    const raw = m[0];
    const cc = raw.slice(0, 2).toUpperCase();
    const len = IBAN_LENGTHS[cc];
    if (!len) return false;
    // Walk to the len-th alphanumeric character: the match may have swallowed a following word.
    let count = 0;
    let i = 0;
    for (; i < raw.length && count < len; i++) if (raw[i] !== ' ' && raw[i] !== '-') count++;
    if (count < len || (i < raw.length && raw[i] !== ' ' && raw[i] !== '-')) return false;
    const compact = raw.slice(0, i).replace(/[ \-]/g, '').toUpperCase();
    return ibanValid(compact) ? { start: m.index, end: m.index + i } : false;
  },
};

// ISO 3166 countries that appear in BIC codes (IBAN countries plus major non-IBAN banking countries).
const BIC_COUNTRIES = new Set([
  ...Object.keys(IBAN_LENGTHS), 'US', 'CA', 'MX', 'AR', 'CL', 'CO', 'PE', 'VE', 'UY', 'PY', 'BO', 'EC', 'CN', 'JP',
  'KR', 'IN', 'ID', 'MY', 'SG', 'TH', 'VN', 'PH', 'HK', 'TW', 'AU', 'NZ', 'ZA', 'NG', 'KE', 'GH', 'MA', 'ET', 'TZ',
  'UG', 'BD', 'LK', 'NP', 'MM', 'KH',
]);
const BANK_CONTEXT = contextWords(['swift', 'bic', 'bank', 'wire', 'transfer', 'iban', 'beneficiary', 'routing', 'sort code']);

export const swiftBic: Recognizer = {
  category: 'swift_bic',
  priority: 60,
  pattern: /\b(?<![A-Za-z0-9])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])/g,
  token: { first: 'upper', lengths: [8, 11] },
  accept(m, text) {
    return BIC_COUNTRIES.has(m[0].slice(4, 6)) && hasContext(text, m.index, m.index + m[0].length, BANK_CONTEXT, 48, 24);
  },
};

const ROUTING_CONTEXT = contextWords(['routing', 'aba', 'rtn', 'transit', 'routing number', 'bank']);

export const usBankRouting: Recognizer = {
  category: 'us_bank_routing',
  priority: 72,
  pattern: /\b(?<![\w\-.])\d{9}(?![\w\-]|\.\d)/g,
  token: { first: 'digit', lengths: [9], minDigits: 9 },
  prefilter: needDigits(0, 9),
  accept: (m, text) => abaValid(m[0]) && !allSame(m[0]) && hasContext(text, m.index, m.index + 9, ROUTING_CONTEXT),
};

export const btcAddress: Recognizer = {
  category: 'btc_address',
  priority: 80,
  pattern: /\b(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71})(?![A-Za-z0-9])/g,
  // Base58 starts with 1 or 3 (26-35 characters), bech32 with bc1 (14-74).
  token: { first: 'any', lengths: { min: 14, max: 74 }, digitFrom: 14, test: (t, s, e) => (t[s] === '1' || t[s] === '3' ? e - s >= 26 && e - s <= 35 : t[s] === 'b' || t[s] === 'B') },
  accept: (m) => (m[0][0] === '1' || m[0][0] === '3' ? btcBase58Valid(m[0]) : btcBech32Valid(m[0])),
};

export const ethAddress: Recognizer = {
  category: 'eth_address',
  priority: 80,
  pattern: /\b(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])/g,
  token: { first: 'digit', lengths: [42] },
  literals: ['0x'],
  accept: (m) => ethAddressValid(m[0]),
};

