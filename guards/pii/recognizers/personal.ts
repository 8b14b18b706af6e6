// Dates of birth: a date alone is not personal data, a date next to "born" / "DOB" is.
import { contextWords, hasContext, KW, type Recognizer } from '../recognizer.js';

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const DOB_CONTEXT = contextWords([
  'born', 'dob', 'd.o.b', 'd.o.b.', 'date of birth', 'birth date', 'birthdate', 'birthday', 'birth', 'geboren',
  'geburtsdatum', 'fecha de nacimiento', 'nacido', 'nacida', 'data di nascita', 'nato', 'nata', 'data de nascimento',
  'date de naissance', 'né le', 'née le',
]);

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

function plausible(day: number, month: number, year: number): boolean {
  const thisYear = new Date().getUTCFullYear();
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 1900 && year <= thisYear;
}

function fullYear(y: string): number {
  const n = Number(y);
  return y.length === 2 ? (n > new Date().getUTCFullYear() % 100 ? 1900 + n : 2000 + n) : n;
}

function validDate(s: string): boolean {
  let m = /^(\d{4})[\/.\-](\d{1,2})[\/.\-](\d{1,2})$/.exec(s);
  if (m) return plausible(Number(m[3]), Number(m[2]), Number(m[1]));
  m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{2}|\d{4})$/.exec(s);
  if (m) {
    const y = fullYear(m[3]);
    // Day-first or month-first: accept when either reading is a real date.
    return plausible(Number(m[1]), Number(m[2]), y) || plausible(Number(m[2]), Number(m[1]), y);
  }
  m = /(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{4})/i.exec(s);
  if (m) return plausible(Number(m[1]), monthNumber(m[2]), Number(m[3]));
  m = /([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})/i.exec(s);
  return !!m && plausible(Number(m[2]), monthNumber(m[1]), Number(m[3]));
}

export const dateOfBirth: Recognizer = {
  category: 'date_of_birth',
  priority: 66,
  pattern: new RegExp(
    `\\b(?<![\\w\\/.\\-])(?:\\d{4}[\\/.\\-]\\d{1,2}[\\/.\\-]\\d{1,2}|\\d{1,2}[\\/.\\-]\\d{1,2}[\\/.\\-](?:\\d{4}|\\d{2})|\\d{1,2}(?:st|nd|rd|th)?\\s(?:of\\s)?${MONTH},?\\s\\d{4}|${MONTH}\\s\\d{1,2}(?:st|nd|rd|th)?,?\\s\\d{4})(?![\\w\\/\\-]|\\.\\d)`,
    'gi',
  ),
  prefilter: (_t, f) => f.digits >= 4 && (f.keywords() & KW.DOB) !== 0,
  accept: (m, text) => validDate(m[0]) && hasContext(text, m.index, m.index + m[0].length, DOB_CONTEXT, 40, 0),
};
