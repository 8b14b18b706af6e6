// One open-addressing hash table over every lexicon word and phrase, mapping a lower-cased key to a bit set of the
// lexicons that hold it. Lookups read the key straight from the scanned text (lower-casing each code unit on the
// fly), so reading a capitalised word against the lexicons allocates no string: with Set<string> lookups, slicing,
// lower-casing and hashing fresh strings was most of the cost of the name scan.
//
// A key is identified by two independent 32-bit hashes; two different keys collide on both with probability about
// 2^-64 per pair, far below anything a lexicon of ~100 k entries would ever hit.

/** Which lexicons hold a key (bit flags; a key may be in several). */
export const LEX = {
  FIRST: 1, LAST: 2, PLACE: 4, REGION: 8, COMMON: 16,
  LEAD: 32, HONORIFIC: 64, NEVER: 128, ORG_SUFFIX: 256, STREET_SUFFIX: 512, DIRECTION: 1024, CONN: 2048, ADDRESS: 4096,
  /** The first word of a place or region name of several words ("new" of "new york"). */
  PHRASE_START: 8192,
  /** A less common English word (lexicons.english), read only in lower-cased text. */
  WORD: 16384,
  /** A company's last word that is common in headings too ("Research"): names.ts ORG_SUFFIX_WEAK. */
  ORG_SUFFIX_WEAK: 32768,
  /** A word that, after a name, says it is a company's ("account", "employees"): names.ts ORG_NOUN_FIRST. */
  ORG_NEXT: 65536,
  /** A word that heads an organisation's name with "of" ("university" of "University of Oslo"): org-words.ts ORG_HEAD. */
  ORG_HEAD: 131072,
  /** A word of company names that is nothing else (lexicons.companies). */
  COMPANY: 262144,
  /** A name of software, a tool or a web service (lexicons.software): no company evidence. */
  SOFTWARE: 524288,
} as const;

// Per UTF-16 code unit: its lower-case code unit, or -1 when lower-casing it is context-dependent or changes the
// length (Σ, İ): keys containing those are hashed from `toLowerCase()` of the slice, exactly as a string lookup would.
// Filled by the first table (65,536 toLowerCase calls, ~15 ms), not at import: a gateway that scans no names never
// pays it. Every read goes through a table's methods, so it is filled before it is read.
let LOWER: Int32Array = new Int32Array(0);
function lowerCaseTable(): Int32Array {
  const lower = new Int32Array(65536);
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) { lower[c] = c; continue; } // surrogates: lower-casing is per code point
    const l = String.fromCharCode(c).toLowerCase();
    lower[c] = l.length === 1 && c !== 0x3a3 ? l.charCodeAt(0) : -1;
  }
  return lower;
}

const M1 = 0x9e3779b1;
const M2 = 0x85ebca77;

/** Hash state: h1, h2 (FNV-like mixes with different multipliers), kept in a two-slot array to avoid allocation. */
type Hash = Int32Array;

function mix(h: Hash, c: number): void {
  h[0] = Math.imul(h[0] ^ c, M1);
  h[1] = Math.imul((h[1] + c) ^ (h[1] >>> 15), M2);
}

function start(h: Hash): void {
  h[0] = 0x811c9dc5 | 0;
  h[1] = 0x27d4eb2f;
}

/** Mixes the lower-cased code units of `s[from, to)`; false when one of them needs whole-string lower-casing. */
function mixRange(h: Hash, s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const l = LOWER[s.charCodeAt(i)];
    if (l < 0) return false;
    mix(h, l);
  }
  return true;
}

function mixString(h: Hash, s: string): void {
  for (let i = 0; i < s.length; i++) mix(h, s.charCodeAt(i));
}

/** This module's file: part of the key of the generated tables (names.ts `namesTablesKey`). */
export const LEX_TABLE_MODULE = import.meta.url;

export class LexTable {
  /** Slot i is cells[3i] (first hash), cells[3i + 1] (second hash), cells[3i + 2] (flags, 0 = empty): one cache line per probe. */
  readonly cells: Int32Array;
  private readonly mask: number;
  private readonly h: Hash = new Int32Array(2);

  /** Built from `entries` (`size` of them), or over `cells` a table built earlier wrote (lex-table-file.ts). */
  constructor(entries: Iterable<[string, number]>, size: number, cells?: Int32Array) {
    if (LOWER.length === 0) LOWER = lowerCaseTable();
    if (cells) {
      this.cells = cells;
      this.mask = cells.length / 3 - 1;
      return;
    }
    let cap = 1024;
    while (cap < size * 2) cap *= 2;
    this.cells = new Int32Array(cap * 3);
    this.mask = cap - 1;
    for (const [key, f] of entries) {
      start(this.h);
      mixString(this.h, key); // as stored: lookups lower-case the text, never the lexicon
      const at = this.slot(this.h[0], this.h[1]) * 3;
      this.cells[at] = this.h[0];
      this.cells[at + 1] = this.h[1];
      this.cells[at + 2] |= f;
    }
  }

  /** The slot holding (a, b), or the empty slot where it would go (flags 0 marks empty). */
  private slot(a: number, b: number): number {
    const c = this.cells;
    let i = (a ^ (b >>> 7)) & this.mask;
    while (c[i * 3 + 2] !== 0 && (c[i * 3] !== a || c[i * 3 + 1] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  private found(): number {
    return this.cells[this.slot(this.h[0], this.h[1]) * 3 + 2];
  }

  /** Flags of the lower-cased `text[from, to)` (0: in no lexicon). */
  get(text: string, from: number, to: number): number {
    start(this.h);
    if (!mixRange(this.h, text, from, to)) {
      start(this.h);
      mixString(this.h, text.slice(from, to).toLowerCase());
    }
    return this.found();
  }

  /**
   * Flags of the phrase made of the text ranges `[from[i], to[i])` for i in [a, b), lower-cased and joined by single
   * spaces ("new york"), without building the phrase.
   */
  phrase(text: string, from: readonly number[], to: readonly number[], a: number, b: number): number {
    start(this.h);
    let fast = true;
    for (let i = a; i < b && fast; i++) {
      if (i > a) mix(this.h, 32);
      fast = mixRange(this.h, text, from[i], to[i]);
    }
    if (!fast) {
      const parts: string[] = [];
      for (let i = a; i < b; i++) parts.push(text.slice(from[i], to[i]).toLowerCase());
      start(this.h);
      mixString(this.h, parts.join(' '));
    }
    return this.found();
  }
}
