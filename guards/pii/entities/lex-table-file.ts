// The name scan's lexicon tables as `npm run build` writes them (dist/generated/pii-lexicon.bin, ~4 MB): a started
// gateway reads them in a few ms instead of building them from the word lists (~0.2 s of every start with the PII
// guard on, issue 22.6). The file names a key — a hash of every input of the tables — and is used only when the
// key of the lists at hand is the same, so an edited lexicon or word list is never read from a stale file (the
// file format: src/util/keyed-arrays.ts).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../../../src/paths.js';
import { packArrays, unpackArrays, viewAs } from '../../../src/util/keyed-arrays.js';
import { LexTable } from './lex-table.js';

export const generatedLexTablesFile = (): string => fromRoot('dist', 'generated', 'pii-lexicon.bin');

/** A key over the tables' inputs: the lexicon files' bytes and the in-code word lists with their flags. */
export function lexTablesKey(files: readonly Buffer[], lists: readonly [Iterable<string>, number][]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0');
  for (const [words, flag] of lists) h.update(`${flag}:${[...words].join('\n')}\0`);
  return h.digest('hex');
}

export function serialiseLexTables(tables: readonly LexTable[], key: string): Uint8Array {
  return packArrays(key, tables.map((t) => t.cells));
}

/** The tables in `buf` when it is such a file written for `key`; undefined otherwise (missing, stale, damaged). */
export function deserialiseLexTables(buf: Uint8Array, key: string): LexTable[] | undefined {
  const cells = unpackArrays(buf, key)?.map((bytes) => viewAs(Int32Array, bytes));
  // A table has a power-of-two number of 3-cell slots (its probe mask): anything else is not one.
  const slots = (c: Int32Array) => c.length / 3;
  if (!cells || cells.some((c) => !c || c.length === 0 || c.length % 3 !== 0 || (slots(c) & (slots(c) - 1)) !== 0)) return undefined;
  return cells.map((c) => new LexTable([], 0, c));
}

/** The tables from the generated file when it was written for `key`. */
export function readGeneratedLexTables(key: string, file = generatedLexTablesFile()): LexTable[] | undefined {
  return existsSync(file) ? deserialiseLexTables(readFileSync(file), key) : undefined;
}
