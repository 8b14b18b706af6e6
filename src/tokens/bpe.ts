/**
 * A byte-level BPE encoder in plain JavaScript that gives tiktoken's `encode_ordinary` / `decode` exactly (the
 * same pre-tokenizer pattern, the same merge order as tiktoken's `_byte_pair_merge`), over compact typed-array
 * tables instead of tiktoken's WASM instance (issue 22.5/22.6: that instance held ~65 MB of RSS — its 5.6 MB
 * module with every encoding embedded, its compiled code, ~25 MB of hash maps in WASM memory — and took ~1 s of
 * CPU to build at start).
 *
 * Tables: the token byte strings in rank order (`bytes`, `offsets`), and an open-addressing hash table of ranks
 * keyed by those bytes (FNV-1a). `npm run build` writes them to dist/generated/bpe-<encoding>.bin from tiktoken's
 * own rank file (`write-bpe-tables.ts`), so a start reads ~4 MB instead of building anything; without a current
 * file they are built from the rank file at first use (~0.1 s). test/tokens/bpe.test.ts checks the encoder against
 * tiktoken token by token.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fromRoot } from '../paths.js';
import { BPE_UNICODE, BPE_UNKNOWN } from './bpe-classes.js';
import { packArrays, unpackArrays, viewAs } from '../util/keyed-arrays.js';

export type BpeEncodingName = 'o200k_base' | 'cl100k_base';

export interface BpeTables {
  /** Token byte strings, concatenated in rank order. */
  bytes: Uint8Array;
  /** Token r is bytes[offsets[r] .. offsets[r + 1]). */
  offsets: Uint32Array;
  /** Open addressing, linear probing: rank + 1 at FNV-1a(bytes) & mask, 0 = empty. */
  table: Int32Array;
}

/** Rust's `\s` (Unicode White_Space), which is not JavaScript's `\s` (that has U+FEFF and lacks U+0085). */
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** The Unicode classes the patterns use, as regex class items (v flag). */
export type BpeClasses = Record<'Lu' | 'Lt' | 'Lm' | 'Lo' | 'Ll' | 'M' | 'N', string>;

/**
 * tiktoken's letter, mark and number classes: this Node's `\p{…}` less the code points `unknown` (a class body)
 * that a later Unicode version than tiktoken's assigned (bpe-classes.ts).
 */
export function classesWithout(unknown: string): BpeClasses {
  const k = (p: string) => (unknown ? `[\\p{${p}}--[${unknown}]]` : `\\p{${p}}`);
  return { Lu: k('Lu'), Lt: k('Lt'), Lm: k('Lm'), Lo: k('Lo'), Ll: k('Ll'), M: k('M'), N: k('N') };
}

/**
 * tiktoken's patterns (tiktoken/encoders/*.json `pat_str`) in JavaScript syntax: Node 20 has no `(?i:…)`, so the
 * contractions spell their case variants out (Unicode simple case folding adds only ſ U+017F, which folds to s);
 * `\s` is Rust's; the letter, mark and number classes are `classes`.
 */
export function bpePattern(name: BpeEncodingName, c: BpeClasses): RegExp {
  const contractions = "'(?:[sS\\u017F]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";
  const L = `${c.Lu}${c.Ll}${c.Lt}${c.Lm}${c.Lo}`;
  const upper = `[${c.Lu}${c.Lt}${c.Lm}${c.Lo}${c.M}]`;
  const lower = `[${c.Ll}${c.Lm}${c.Lo}${c.M}]`;
  const tail =
    `|[${c.N}]{1,3}| ?[^${WS}${L}${c.N}]+[\\r\\n${name === 'o200k_base' ? '\\/' : ''}]*|[${WS}]*[\\r\\n]+|[${WS}]+(?![^${WS}])|[${WS}]+`;
  const source =
    name === 'o200k_base'
      ? `[^\\r\\n${L}${c.N}]?${upper}*${lower}+(?:${contractions})?|[^\\r\\n${L}${c.N}]?${upper}+${lower}*(?:${contractions})?${tail}`
      : `${contractions}|[^\\r\\n${L}${c.N}]?[${L}]+${tail}`;
  return new RegExp(source, 'gv');
}

/**
 * True when this Node's Unicode tables are those bpe-classes.ts was generated and checked on: only then is the
 * JavaScript pre-tokenizer proven to split as tiktoken's (encoding.ts uses tiktoken itself otherwise).
 */
export const nodeUnicodeMatches = (): boolean => process.versions.unicode === BPE_UNICODE;

const SPECIALS: Record<BpeEncodingName, Record<string, number>> = {
  o200k_base: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 },
  cl100k_base: { '<|endoftext|>': 100257, '<|fim_prefix|>': 100258, '<|fim_middle|>': 100259, '<|fim_suffix|>': 100260, '<|endofprompt|>': 100276 },
};

const MAX_RANK = 0x7fffffff;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h >>> 0;
}

/** The hash table over `count` tokens. Pure. */
function buildTable(bytes: Uint8Array, offsets: Uint32Array, count: number): Int32Array {
  let size = 1;
  while (size < count * 2.5) size <<= 1;
  const table = new Int32Array(size);
  const mask = size - 1;
  for (let r = 0; r < count; r++) {
    let at = hashBytes(bytes, offsets[r]!, offsets[r + 1]!) & mask;
    while (table[at] !== 0) at = (at + 1) & mask;
    table[at] = r + 1;
  }
  return table;
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * Tables from tiktoken's rank file text (`bpe_ranks`: `! <first rank> <base64 token> <base64 token> …`, ranks
 * consecutive from the first). Pure.
 */
export function tablesFromRanks(ranks: string): BpeTables {
  const words = ranks.trim().split(/\s+/);
  if (words[0] !== '!' || words[1] !== '0') throw new Error('unexpected tiktoken rank file');
  const count = words.length - 2;
  const offsets = new Uint32Array(count + 1);
  let total = 0;
  for (let r = 0; r < count; r++) {
    const w = words[r + 2]!;
    let pad = 0;
    while (w.charCodeAt(w.length - 1 - pad) === 61) pad++; // '='
    total += ((w.length * 3) >> 2) - pad;
    offsets[r + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let r = 0; r < count; r++) {
    const w = words[r + 2]!;
    let at = offsets[r]!;
    const end = offsets[r + 1]!;
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < w.length && at < end; i++) {
      const v = B64[w.charCodeAt(i)]!;
      if (v < 0) break;
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes[at++] = (acc >> bits) & 0xff;
      }
    }
  }
  return { bytes, offsets, table: buildTable(bytes, offsets, count) };
}

/** The tables as one buffer (util/keyed-arrays.ts) written for `key`. Pure. */
export function serialiseTables(t: BpeTables, key: string): Uint8Array {
  return packArrays(key, [t.offsets, t.table, t.bytes]);
}

/** Tables from `serialiseTables`' buffer when it was written for `key`, else undefined. Views, no copy. */
export function deserialiseTables(buf: Uint8Array, key: string): BpeTables | undefined {
  const arrays = unpackArrays(buf, key);
  if (arrays?.length !== 3) return undefined;
  const offsets = viewAs(Uint32Array, arrays[0]!);
  const table = viewAs(Int32Array, arrays[1]!);
  if (!offsets || !table || offsets[offsets.length - 1] !== arrays[2]!.byteLength) return undefined;
  return { bytes: arrays[2]!, offsets, table };
}

const require = createRequire(import.meta.url);
const rankFile = (name: BpeEncodingName) => require.resolve(`tiktoken/encoders/${name}.json`);

/** What the generated tables were made from: tiktoken's version and the rank file's size. */
export function tablesKey(name: BpeEncodingName): string {
  const file = rankFile(name);
  const pkg = JSON.parse(readFileSync(join(dirname(file), '..', 'package.json'), 'utf8')) as { version: string };
  return `${name} tiktoken ${pkg.version} ${statSync(file).size}`;
}

export const generatedTablesFile = (name: BpeEncodingName): string => fromRoot('dist', 'generated', `bpe-${name}.bin`);

/** The tables of `name`: the generated file when it matches the installed tiktoken, else built from its rank file. */
export function loadTables(name: BpeEncodingName, file = generatedTablesFile(name)): { tables: BpeTables; source: 'generated' | 'built' } {
  if (existsSync(file)) {
    const tables = deserialiseTables(readFileSync(file), tablesKey(name));
    if (tables) return { tables, source: 'generated' };
  }
  return { tables: buildTables(name), source: 'built' };
}

/** The tables of `name` built from tiktoken's rank file (~0.1–0.2 s). */
export function buildTables(name: BpeEncodingName): BpeTables {
  return tablesFromRanks((JSON.parse(readFileSync(rankFile(name), 'utf8')) as { bpe_ranks: string }).bpe_ranks);
}

/** An encoder with tiktoken's `encode_ordinary` and `decode` (the subset the gateway uses), plus `count`. */
export class BpeEncoder {
  readonly name: BpeEncodingName;
  private readonly bytes: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly pattern: RegExp;
  private readonly specials: Map<number, Uint8Array>;
  private readonly utf8 = new TextEncoder();
  private buf = new Uint8Array(1024);
  private starts = new Int32Array(1024);
  private ranks = new Int32Array(1024);
  private out: number[] = [];

  constructor(name: BpeEncodingName, tables: BpeTables, classes: BpeClasses = classesWithout(BPE_UNKNOWN)) {
    this.name = name;
    this.bytes = tables.bytes;
    this.offsets = tables.offsets;
    this.table = tables.table;
    this.mask = tables.table.length - 1;
    this.pattern = bpePattern(name, classes);
    this.specials = new Map(Object.entries(SPECIALS[name]).map(([text, rank]) => [rank, this.utf8.encode(text)]));
  }

  /** Rank of buf[from, to), or MAX_RANK when it is not a token. */
  private rank(from: number, to: number): number {
    const b = this.buf;
    let at = hashBytes(b, from, to) & this.mask;
    const len = to - from;
    for (;;) {
      const r = this.table[at]! - 1;
      if (r < 0) return MAX_RANK;
      const s = this.offsets[r]!;
      if (this.offsets[r + 1]! - s === len) {
        let i = 0;
        while (i < len && this.bytes[s + i] === b[from + i]) i++;
        if (i === len) return r;
      }
      at = (at + 1) & this.mask;
    }
  }

  /** Writes the UTF-8 of `piece` to `this.buf` (lone surrogates as U+FFFD, as tiktoken's binding does); its length. */
  private toBytes(piece: string): number {
    const n = piece.length;
    if (this.buf.length < n * 3) this.buf = new Uint8Array(n * 3 + 16);
    const b = this.buf;
    for (let i = 0; i < n; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 128) return this.utf8.encodeInto(piece, b).written;
      b[i] = c;
    }
    return n;
  }

  /**
   * tiktoken's `byte_pair_encode` of this.buf[0, len): the piece itself when it is a token, else merges of the
   * lowest-ranked adjacent pair, leftmost first, until none is a token. Calls `emit` per token; returns the count.
   */
  private piece(len: number, emit: number[] | undefined): number {
    const whole = this.rank(0, len);
    if (whole !== MAX_RANK) {
      emit?.push(whole);
      return 1;
    }
    if (this.starts.length < len + 2) {
      this.starts = new Int32Array(len + 16);
      this.ranks = new Int32Array(len + 16);
    }
    const starts = this.starts;
    const ranks = this.ranks;
    // parts[i] = (starts[i], ranks[i]): ranks[i] is the rank of the pair starting at part i.
    let m = len + 1;
    let minRank = MAX_RANK;
    let minAt = 0;
    for (let i = 0; i < len - 1; i++) {
      const r = this.rank(i, i + 2);
      if (r < minRank) {
        minRank = r;
        minAt = i;
      }
      starts[i] = i;
      ranks[i] = r;
    }
    starts[len - 1] = len - 1;
    ranks[len - 1] = MAX_RANK;
    starts[len] = len;
    ranks[len] = MAX_RANK;
    while (minRank !== MAX_RANK) {
      const i = minAt;
      if (i > 0) ranks[i - 1] = i + 2 < m ? this.rank(starts[i - 1]!, starts[i + 2]!) : MAX_RANK;
      ranks[i] = i + 3 < m ? this.rank(starts[i]!, starts[i + 3]!) : MAX_RANK;
      starts.copyWithin(i + 1, i + 2, m);
      ranks.copyWithin(i + 1, i + 2, m);
      m--;
      minRank = MAX_RANK;
      for (let j = 0; j < m - 1; j++) {
        if (ranks[j]! < minRank) {
          minRank = ranks[j]!;
          minAt = j;
        }
      }
    }
    if (emit) for (let i = 0; i < m - 1; i++) emit.push(this.rank(starts[i]!, starts[i + 1]!));
    return m - 1;
  }

  private run(text: string, emit: number[] | undefined): number {
    const re = this.pattern;
    re.lastIndex = 0;
    let n = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) n += this.piece(this.toBytes(m[0]), emit);
    return n;
  }

  /** Number of tokens of `encode_ordinary(text)`, without building them. */
  count(text: string): number {
    return this.run(text, undefined);
  }

  /** tiktoken's `encode_ordinary`: special-token text is ordinary text. */
  encode_ordinary(text: string): Uint32Array {
    const out = this.out;
    out.length = 0;
    this.run(text, out);
    const tokens = Uint32Array.from(out);
    out.length = 0;
    return tokens;
  }

  /** tiktoken's `decode`: the bytes of the tokens, concatenated. */
  decode(tokens: ArrayLike<number>): Uint8Array {
    let size = 0;
    const count = this.offsets.length - 1;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      size += t < count ? this.offsets[t + 1]! - this.offsets[t]! : (this.specials.get(t)?.length ?? 0);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const b = t < count ? this.bytes.subarray(this.offsets[t], this.offsets[t + 1]) : this.specials.get(t);
      if (!b) throw new Error(`unknown token ${t}`);
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
}
