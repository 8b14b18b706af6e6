// Check-digit algorithms used by the recognizers. All are pure functions over the digits/characters of a
// candidate with separators already removed; each returns false (never throws) on malformed input.

/** Luhn mod 10 (payment cards, Canadian SIN). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** True when every character is the same (e.g. 0000000000): never a real identifier, often a placeholder. */
export function allSame(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s[i] !== s[0]) return false;
  return true;
}

/** True for ascending/descending runs like 123456789 (filler values in forms and docs). */
export function isSequential(digits: string): boolean {
  let up = true;
  let down = true;
  for (let i = 1; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - digits.charCodeAt(i - 1);
    if (d !== 1 && d !== -9) up = false;
    if (d !== -1 && d !== 9) down = false;
  }
  return up || down;
}

/** ABA routing transit number checksum (3-7-1 weights). */
export function abaValid(d: string): boolean {
  if (!/^\d{9}$/.test(d)) return false;
  const n = (i: number) => d.charCodeAt(i) - 48;
  const sum = 3 * (n(0) + n(3) + n(6)) + 7 * (n(1) + n(4) + n(7)) + (n(2) + n(5) + n(8));
  if (sum % 10 !== 0) return false;
  // First two digits: Federal Reserve district (00-12), thrift (21-32), electronic (61-72) or traveller's cheques (80).
  const p = Number(d.slice(0, 2));
  return p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p === 80;
}

/** UK NHS number: modulus 11 with weights 10..2; a remainder giving 10 is never issued. */
export function nhsValid(d: string): boolean {
  if (!/^\d{10}$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (d.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === d.charCodeAt(9) - 48;
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff dihedral check (Indian Aadhaar). */
export function verhoeffValid(d: string): boolean {
  let c = 0;
  for (let i = 0; i < d.length; i++) {
    const digit = d.charCodeAt(d.length - 1 - i) - 48;
    if (digit < 0 || digit > 9) return false;
    c = VERHOEFF_D[c][VERHOEFF_P[i % 8][digit]];
  }
  return d.length > 0 && c === 0;
}

/** Brazilian CPF: two mod-11 check digits. */
export function cpfValid(d: string): boolean {
  if (!/^\d{11}$/.test(d) || allSame(d)) return false;
  const n = (i: number) => d.charCodeAt(i) - 48;
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += n(i) * (len + 1 - i);
    const r = (sum * 10) % 11 % 10;
    if (r !== n(len)) return false;
  }
  return true;
}

/** Brazilian CNPJ: two mod-11 check digits with weights 5..2,9..2 and 6..2,9..2. */
export function cnpjValid(d: string): boolean {
  if (!/^\d{14}$/.test(d) || allSame(d)) return false;
  const n = (i: number) => d.charCodeAt(i) - 48;
  const w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  const w2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  for (const w of [w1, w2]) {
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += n(i) * w[i];
    const r = sum % 11;
    if ((r < 2 ? 0 : 11 - r) !== n(w.length)) return false;
  }
  return true;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI: 8 digits + control letter (number mod 23). */
export function dniValid(s: string): boolean {
  const m = /^(\d{8})([A-Z])$/.exec(s);
  return !!m && DNI_LETTERS[Number(m[1]) % 23] === m[2];
}

/** Spanish NIE: X/Y/Z (→0/1/2) + 7 digits + control letter. */
export function nieValid(s: string): boolean {
  const m = /^([XYZ])(\d{7})([A-Z])$/.exec(s);
  if (!m) return false;
  const num = Number('XYZ'.indexOf(m[1]) + m[2]);
  return DNI_LETTERS[num % 23] === m[3];
}

// Odd-position values of the codice fiscale check algorithm, for 0-9 then A-Z.
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Italian codice fiscale (16 chars): the last letter is a checksum over the first 15. */
export function codiceFiscaleValid(s: string): boolean {
  if (!/^[A-Z0-9]{15}[A-Z]$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = s.charCodeAt(i);
    const idx = c <= 57 ? c - 48 : c - 65 + 10;
    // Positions are 1-based in the spec: odd positions (index 0, 2, …) use the table.
    sum += i % 2 === 0 ? CF_ODD[idx] : c <= 57 ? c - 48 : c - 65;
  }
  return String.fromCharCode(65 + (sum % 26)) === s[15];
}

/** US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(d: string): boolean {
  if (!/^\d{9}$/.test(d)) return false;
  const area = Number(d.slice(0, 3));
  const group = Number(d.slice(3, 5));
  const serial = Number(d.slice(5));
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
  // Publicly advertised example numbers, never issued to a person.
  return d !== '078051120' && d !== '219099999' && !isSequential(d);
}

/** US ITIN: 9xx-[50-65|70-88|90-92|94-99]-xxxx. */
export function itinValid(d: string): boolean {
  if (!/^9\d{8}$/.test(d)) return false;
  const g = Number(d.slice(3, 5));
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}
