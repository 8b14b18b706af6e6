// The name scan's lexicon tables as `npm run build` writes them (dist/generated/pii-lexicon.bin, ~4 MB): a started
// gateway reads them in a few ms instead of building them from the word lists (~0.2 s of every start with the PII
// guard on, issue 22.6). The file names a key — a hash of every input of the tables — and is used only when the
// key of the lists at hand is the same, so an edited lexicon or word list is never read from a stale file.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../../../src/paths.js';
import { LexTable } from './lex-table.js';

const MAGIC = 0x4c455831; // 'LEX1'

export const generatedLexTablesFile = (): string => fromRoot('dist', 'generated', 'pii-lexicon.bin');

/** A key over the tables' inputs: the lexicon files' bytes and the in-code word lists with their flags. */
export function lexTablesKey(files: readonly Buffer[], lists: readonly [Iterable<string>, number][]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0');
  for (const [words, flag] of lists) h.update(`${flag}:${[...words].join('\n')}\0`);
  return h.digest('hex');
}

export function serialiseLexTables(tables: readonly LexTable[], key: string): Uint8Array {
  const keyBytes = Buffer.from(key, 'utf8');
  const head = 12 + ((keyBytes.length + 3) & ~3);
  const size = head + tables.reduce((n, t) => n + 4 + t.cells.byteLength, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, keyBytes.length, true);
  view.setUint32(8, tables.length, true);
  out.set(keyBytes, 12);
  let at = head;
  for (const t of tables) {
    view.setUint32(at, t.cells.length, true);
    out.set(new Uint8Array(t.cells.buffer, t.cells.byteOffset, t.cells.byteLength), at + 4);
    at += 4 + t.cells.byteLength;
  }
  return out;
}

/** The tables in `buf` when it is such a file written for `key`; undefined otherwise (missing, stale, damaged). */
export function deserialiseLexTables(buf: Uint8Array, key: string): LexTable[] | undefined {
  if (buf.byteLength < 12) return undefined;
  // Typed views need 4-byte alignment: copy a buffer that does not start on it.
  const b = buf.byteOffset % 4 === 0 ? buf : new Uint8Array(buf);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const keyLen = view.getUint32(4, true);
  if (Buffer.from(b.buffer, b.byteOffset + 12, Math.min(keyLen, b.byteLength - 12)).toString('utf8') !== key) return undefined;
  const tables: LexTable[] = [];
  let at = 12 + ((keyLen + 3) & ~3);
  for (let i = view.getUint32(8, true); i > 0; i--) {
    if (at + 4 > b.byteLength) return undefined;
    const n = view.getUint32(at, true);
    if (n % 3 !== 0 || at + 4 + n * 4 > b.byteLength) return undefined;
    tables.push(new LexTable([], 0, new Int32Array(b.buffer, b.byteOffset + at + 4, n)));
    at += 4 + n * 4;
  }
  return tables;
}

/** The tables from the generated file when it was written for `key`. */
export function readGeneratedLexTables(key: string, file = generatedLexTablesFile()): LexTable[] | undefined {
  return existsSync(file) ? deserialiseLexTables(readFileSync(file), key) : undefined;
}
