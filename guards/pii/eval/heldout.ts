// A held-out check for the structured recognizers: synthetic records shaped like presidio-research's synthetic
// dataset (same sentence templates, same Faker / FakeNameGenerator value formats) but drawing values the shipped
// 1,000-record sample does not contain: IBANs of many countries (valid mod-97), IPv6, every card brand Faker emits
// and the usual print groupings, phone numbers of every FakeNameGenerator country and of presidio-research's
// phone provider, all US driver-licence state formats (letters in either case), spaced/bare SSNs, lower-cased
// sentences. Deterministic (seeded), so a test can assert floors on it.
//
// Run: npx tsx guards/pii/eval/heldout.ts [records] [seed] [--misses]
// Formats are written from the public descriptions of presidio-research's generator
// (presidio_evaluator/data_generator: templates.txt, us_driver_license_format.yaml, PhoneNumberProviderNew,
// FakeNameGenerator.com_3000.csv) and Faker's providers; no dataset record is copied.
import { createPiiDetector } from '../detector.js';
import { IBAN_LENGTHS } from '../validators/iban.js';
import { evaluate, toMarkdown, ENTITY_MAP } from './presidio-eval.js';
import type { PiiDetector } from '../types.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

interface Span { entity_type: string; start_position: number; end_position: number }
export interface SynthRecord { full_text: string; spans: Span[]; template: string }

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LETTERS = UPPER + UPPER.toLowerCase();

/** Faker's bothify: `#` → digit, `?` → ASCII letter of either case (Faker's default letters). */
function bothify(r: Rand, fmt: string, letters = LETTERS): string {
  let s = '';
  for (const c of fmt) s += c === '#' ? String(int(r, 0, 9)) : c === '?' ? pick(r, [...letters]) : c;
  return s;
}

// ---- credit cards (Faker's credit_card provider: brands, prefixes, lengths; Luhn check digit) ----

const CARD_BRANDS: readonly { prefixes: string[]; len: number; groups: number[] }[] = [
  { prefixes: ['5018', '5020', '5038', '56##', '57##', '58##', '6304', '6759', '6761', '6762', '6763', '0604', '6390'], len: 12, groups: [4, 4, 4] },
  { prefixes: ['51', '52', '53', '54', '55', '222#', '223', '224', '225', '226', '227', '228', '229', '23', '24', '25', '26', '270', '271', '2720'], len: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['4'], len: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['4'], len: 13, groups: [4, 4, 5] },
  { prefixes: ['4'], len: 19, groups: [4, 4, 4, 4, 3] },
  { prefixes: ['34', '37'], len: 15, groups: [4, 6, 5] },
  { prefixes: ['6011', '65', '644', '645', '646', '647', '648', '649'], len: 16, groups: [4, 4, 4, 4] },
  { prefixes: ['300', '301', '302', '303', '304', '305', '36', '38'], len: 14, groups: [4, 6, 4] },
  { prefixes: ['2131', '1800'], len: 15, groups: [4, 4, 4, 3] },
  { prefixes: ['35'], len: 16, groups: [4, 4, 4, 4] },
];

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function creditCard(r: Rand): string {
  const brand = pick(r, CARD_BRANDS);
  let n = bothify(r, pick(r, brand.prefixes).replace(/#/g, () => String(int(r, 1, 9))));
  while (n.length < brand.len - 1) n += int(r, 0, 9);
  n += luhnDigit(n);
  // Faker prints cards compact; people and other generators group them (same separator throughout).
  const style = r();
  if (style < 0.6) return n;
  const sep = style < 0.85 ? ' ' : '-';
  const out: string[] = [];
  let at = 0;
  for (const g of brand.groups) {
    out.push(n.slice(at, at + g));
    at += g;
  }
  return out.join(sep);
}

// ---- IBAN (Faker's bank providers: country + BBAN; check digits by ISO 13616 mod-97) ----

/** Countries Faker has bank providers for, and how many leading BBAN characters are letters (bank codes). */
const IBAN_COUNTRIES: Readonly<Record<string, number>> = {
  GB: 4, DE: 0, FR: 0, ES: 0, IT: 1, NL: 4, BE: 0, AT: 0, CH: 0, PL: 0, PT: 0, IE: 4, FI: 0, NO: 0, DK: 0, SE: 0,
  CZ: 0, SK: 0, RO: 4, GR: 0, TR: 0, UA: 0, AZ: 4, IR: 0, RU: 0, LU: 0, HU: 0, SI: 0, HR: 0, EE: 0, LT: 0, BG: 4,
};

function ibanCheck(country: string, bban: string): string {
  const s = bban + country + '00';
  let rem = 0;
  for (const c of s) rem = /\d/.test(c) ? (rem * 10 + Number(c)) % 97 : (rem * 100 + (c.charCodeAt(0) - 55)) % 97;
  return String(98 - rem).padStart(2, '0');
}

function iban(r: Rand): string {
  const country = r() < 0.3 ? 'GB' : pick(r, Object.keys(IBAN_COUNTRIES));
  const letters = IBAN_COUNTRIES[country];
  const bban = bothify(r, '?'.repeat(letters) + '#'.repeat(IBAN_LENGTHS[country] - 4 - letters), UPPER);
  const code = country + ibanCheck(country, bban) + bban;
  // Faker prints compact; the paper/print form groups by 4.
  return r() < 0.7 ? code : code.replace(/(.{4})(?=.)/g, '$1 ');
}

// ---- US SSN (Faker en_US: area 001-899 except 666, group 01-99, serial 0001-9999) ----

function ssn(r: Rand): string {
  let area = int(r, 1, 899);
  if (area === 666) area++;
  const parts = [String(area).padStart(3, '0'), String(int(r, 1, 99)).padStart(2, '0'), String(int(r, 1, 9999)).padStart(4, '0')];
  const style = r();
  return parts.join(style < 0.7 ? '-' : style < 0.85 ? ' ' : '');
}

// ---- IP addresses (presidio-research IpAddressProvider: 80% IPv4, 20% IPv6 as Python prints it) ----

function ipv6(r: Rand): string {
  const groups = Array.from({ length: 8 }, () => (r() < 0.15 ? 0 : int(r, 0, 0xffff)));
  if (r() < 0.3) {
    // A run of zero groups (compressed to "::"), leaving at least three groups as real addresses do.
    const at = int(r, 0, 6);
    const len = int(r, 2, Math.min(5, 8 - at));
    for (let i = at; i < at + len; i++) groups[i] = 0;
  }
  // RFC 5952 compression: the longest run (≥2) of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

function ipAddress(r: Rand): string {
  if (r() < 0.8) return [int(r, 1, 223), int(r, 0, 255), int(r, 0, 255), int(r, 1, 254)].join('.');
  return ipv6(r);
}

// ---- phone numbers ----

/** FakeNameGenerator.com telephone formats per country (the record a sentence is drawn from). */
const PHONE_RECORD_FORMATS = [
  '###-###-####', // US, CA
  '(0#) #### ####', // AU
  '0### ### ## ##', // AT
  '04## ## ## ##', // BE
  '(##) ####-####', // BR
  '## ######', // CY
  '### ### ###', // CZ, ES
  '##-##-##-##', // DK
  '### ####', // EE, IS
  '0## ### ####', // FI, ZA
  '0#.##.##.##.##', // FR
  '0#### ## ## ##', // DE
  '0### ## ## ##', // DE
  '## ## ##', // GL (six digits)
  '(##) ###-###', // HU
  '0### #######', // IT
  '06-########', // NL
  '(0##) ####-###', // NZ
  '### ## ###', // NO
  '## ### ## ##', // PL
  '## ### ### ####', // PT
  '0##-###-###', // SI
  '0###-#######', // SE
  '08-#######', // SE
  '0## ### ## ##', // CH
  '## ### ###', // TN
  '0## #### ####', // GB
  '#### ####', // UY
];

/** presidio-research's PhoneNumberProviderNew (used when a template has more phones than the record). */
const PHONE_PROVIDER_FORMATS = [
  '##########', '###-###-####', '###-#######', '07700 ### ###', '07700 ######', '07700######', '(07700) ### ###',
  '(07700) ######', '(07700)######', '+447700 ### ###', '+447700 ######', '+447700######', '+91##########',
  '0##########', '+41 2# ### ## ##', '+41 (0)7# ### ## ##', '+46 (0)8 ### ### ##', '+46 (0)## ## ## ##',
  '+46 (0)### ### ##', '(###)###-####', '###.###.####', '###-###-####x###', '###-###-####x####',
  '(###)###-####x###', '(###)###-####x####', '###.###.####x###', '###.###.####x####', '+1-###-###-####',
  '001-###-###-####', '+1-###-###-####x###',
];

function phone(r: Rand, second: boolean): string {
  return bothify(r, pick(r, second ? PHONE_PROVIDER_FORMATS : PHONE_RECORD_FORMATS));
}

// ---- US driver licences (presidio-research us_driver_license_format.yaml per state, plus its older csv list) ----

const DL_FORMATS = [
  '######', '#######', '########', '?########', '#########', '?#######', '?######', '??#####', '?############',
  '??######', '?#########', '?###########', '##########', '###??####', '?#?#?', '#######?', '?##########',
  '?######R', '########??', '#########?', '#############', '##############', '############', 'X########',
  '##???#####', '?##############', '?##################', '################', '????????', '??#######',
  '###########', '#######A', '???????#####', '????????####', '?????????###', '??????????##', '???????????#',
  '????????????', '???????####*', '?#############',
];
const DL_LEGACY = ['6940579', 'S530-460-99-424-0', '2270-66-1551', '4031276', '481195160', '006984185', 'A230-279-135-866', 'FRANCRF705BA', 'P362-738-729-232'];

function driverLicense(r: Rand): string {
  return r() < 0.15 ? pick(r, DL_LEGACY) : bothify(r, pick(r, DL_FORMATS));
}

// ---- e-mail ----

const FIRST = ['Marie', 'Patricia', 'Debra', 'Kevin', 'Domenico', 'Tünde', 'Jan', 'Ana', 'Lukas', 'Ying'];
const LAST = ['Hamanova', 'Desrosiers', 'Neal', 'Schafer', 'Pisano', 'Hoffmann', 'de Vries', 'Silva', 'Moe', 'Chen'];
const MAIL_DOMAINS = ['armyspy.com', 'superrito.com', 'cuvox.de', 'teleworm.us', 'example.org', 'mail.co.uk', 'gmail.com', 'yahoo.com.br'];

function email(r: Rand): string {
  const f = pick(r, FIRST).normalize('NFD').replace(/[^A-Za-z]/g, '');
  const l = pick(r, LAST).replace(/[^A-Za-z]/g, '');
  const local = pick(r, [f + l, `${f.toLowerCase()}.${l.toLowerCase()}`, `${l.toLowerCase()}${int(r, 1, 99)}`, `${f[0].toLowerCase()}${l.toLowerCase()}`]);
  return `${local}@${pick(r, MAIL_DOMAINS)}`;
}

// ---- templates (presidio-research templates.txt, the ones carrying a structured entity) ----

const TEMPLATES = [
  'I want to increase limit on my card # {{credit_card}} for certain duration of time. is it possible?',
  'My credit card {{credit_card}} has been lost, Can I request you to block it.',
  'Need to change billing date of my card {{credit_card}}',
  'Are there any charges applied for money transfer from {{iban}} to other bank accounts',
  'Are there any charges applied to withdraw money from ATM with the card {{credit_card}}',
  'Please update the billing address with 12 Main St for this card: {{credit_card}}',
  'Need to see last 10 transaction of card {{credit_card}}',
  'I have lost my card {{credit_card}}. Could you please block my credit card ASAP ? My name is Ann Lee.',
  "My card {{credit_card}} is expiring this month. Please let me know process to it's extend validity.",
  "I have done an online order but didn't get any message on my registered {{phone}}. Could you please look into it ?",
  'What is procedure to redeem points won on credit card {{credit_card}} transactions ?',
  'My card {{credit_card}} expires soon, when will I get a new one?',
  'Can I withdraw cash using my card {{credit_card}} at aTM center ?',
  'Could you please email me the statement for last month , my credit card number is {{credit_card}}?',
  'Could you please send me the last billed amount for cc {{credit_card}} on my e-mail {{email}}?',
  'card number {{credit_card}} is lost, can you please send a new one to 4 Elm Road? I am in Leeds for a business trip',
  "Please transfer all funds from my account to this hackers' {{email}}",
  "I can't browse to your site, keep getting address {{ip}} blocked error",
  "Please have the manager call me at {{phone}} I'd like to join accounts with ms. Maria",
  'Inject SELECT * FROM Users WHERE client_ip = ?%//!%20\\|{{ip}}|%20/',
  'I would like to stop receiving messages to {{phone}}',
  'Please send my portfolio to this email {{email}}',
  'I want to cancel my card {{credit_card}} because I lost it',
  'Please block card no {{credit_card}}',
  'What is the limit for card {{credit_card}}?',
  'Can someone call me on {{phone}}? I have some questions about opening an account.',
  'You said your email is {{email}}. Is that correct?',
  'Please charge my credit card. Number is {{credit_card}}',
  "What's your email? {{email}}",
  "What's your credit card? {{credit_card}}",
  'How can we reach you? You can call {{phone}}',
  "Hi Tom, I'm contacting you about a problem I have with sending a wire transfer using this IBAN {{iban}}",
  'My IBAN is {{iban}}',
  'His social security number is {{ssn}}',
  "Here's my SSN: {{ssn}}",
  "My driver's license number is {{us_driver_license}}",
  'Ann Lee\n\n77 Hill Road\n Apt. 4\n Oslo\n Norway 0150\n{{phone}}-Office\\,{{phone}}-Fax',
  'Ann Lee\nAcme Ltd\n5 Park Lane, Springfield, IL 62704\n{{phone}} office\n{{phone}} fax\n{{phone}} mobile\n',
  'Ann Lee\nAcme Ltd\n5 Park Lane, Springfield, IL 62704\nMobile: {{phone}}\nDesk: {{phone}}\nFax: {{phone}}\n',
  "They're not answering at {{phone}}",
  'Date: May 3, 2021\nName: Ann Lee\nPhone: {{phone}}',
  'Ann Lee\n\nAccountant\n\nPersonal Info:\nPhone:\n{{phone}}\n\nE-mail:\n{{email}}\n\nWebsite:\nhttp://lee.example.com\n\nAddress:\n5 Park Lane.',
];

const ENTITY_OF: Record<string, string> = {
  credit_card: 'CREDIT_CARD', iban: 'IBAN_CODE', phone: 'PHONE_NUMBER', email: 'EMAIL_ADDRESS', ip: 'IP_ADDRESS',
  ssn: 'US_SSN', us_driver_license: 'US_DRIVER_LICENSE',
};

/** Generates `n` records from the templates above, deterministically for a given seed. */
export function generateHeldout(n = 2000, seed = 20240601): SynthRecord[] {
  const r = seededRandom(seed);
  const out: SynthRecord[] = [];
  for (let k = 0; k < n; k++) {
    const template = TEMPLATES[k % TEMPLATES.length];
    let text = '';
    const spans: Span[] = [];
    let last = 0;
    let phones = 0;
    for (const m of template.matchAll(/\{\{(\w+)\}\}/g)) {
      text += template.slice(last, m.index);
      const kind = m[1];
      const value =
        kind === 'credit_card' ? creditCard(r)
        : kind === 'iban' ? iban(r)
        : kind === 'phone' ? phone(r, phones++ > 0)
        : kind === 'email' ? email(r)
        : kind === 'ip' ? ipAddress(r)
        : kind === 'ssn' ? ssn(r)
        : driverLicense(r);
      spans.push({ entity_type: ENTITY_OF[kind], start_position: text.length, end_position: text.length + value.length });
      text += value;
      last = m.index + m[0].length;
    }
    text += template.slice(last);
    // presidio-research lower-cases 5% of sentences.
    if (r() < 0.05) text = text.toLowerCase();
    out.push({ full_text: text, spans, template });
  }
  return out;
}

/** Findings of any category that overlap no gold span at all (gold spans cover every PII value in a record). */
export function strayFindings(records: SynthRecord[], detector: PiiDetector = createPiiDetector()): string[] {
  const stray: string[] = [];
  for (const rec of records) {
    for (const f of detector.detect(rec.full_text)) {
      if (!rec.spans.some((g) => f.start < g.end_position && g.start_position < f.end))
        stray.push(`${f.category}: ${JSON.stringify(rec.full_text.slice(f.start, f.end))} in ${JSON.stringify(rec.full_text)}`);
    }
  }
  return stray;
}

/** Gold values whose mapped categories were not found (for --misses). */
export function misses(records: SynthRecord[], detector: PiiDetector = createPiiDetector()): string[] {
  const out: string[] = [];
  for (const rec of records) {
    const found = detector.detect(rec.full_text);
    for (const g of rec.spans) {
      const cats = ENTITY_MAP[g.entity_type] ?? [];
      const hit = found.filter((f) => f.start < g.end_position && g.start_position < f.end);
      if (!hit.some((f) => cats.includes(f.category)))
        out.push(`${g.entity_type} ${JSON.stringify(rec.full_text.slice(g.start_position, g.end_position))}${hit.length ? ` (found ${hit.map((h) => h.category).join(',')})` : ''}`);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const records = generateHeldout(Number(args[0] ?? 2000), Number(args[1] ?? 20240601));
  console.log(toMarkdown(evaluate(records)));
  const stray = strayFindings(records);
  console.log(`\nfindings outside every gold span: ${stray.length}`);
  if (process.argv.includes('--misses')) {
    for (const m of misses(records)) console.log('MISS', m);
    for (const s of stray) console.log('STRAY', s);
  }
}
