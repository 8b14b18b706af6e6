/**
 * The name scan's lexicon tables as `npm run build` writes them (guards/pii/entities/lex-table-file.ts): read back,
 * they are the tables built from the word lists, cell for cell; a file written for other inputs, or damaged, is
 * never used.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deserialiseLexTables, lexTablesKey, serialiseLexTables } from '../../guards/pii/entities/lex-table-file.js';
import { LEX } from '../../guards/pii/entities/lex-table.js';
import { buildNamesTables, loadNamesTables, namesTablesKey } from '../../guards/pii/entities/names.js';

const bytes = (a: Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('generated lexicon tables', () => {
  const built = buildNamesTables();
  const key = namesTablesKey();
  const file = serialiseLexTables(built, key);
  const dir = mkdtempSync(join(tmpdir(), 'lex-tables-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('read back for the same key, they are the built tables cell for cell and answer the same lookups', () => {
    const back = deserialiseLexTables(file, key)!;
    expect(back).toHaveLength(2);
    back.forEach((t, i) => expect(bytes(t.cells).equals(bytes(built[i]!.cells))).toBe(true));
    expect(back[0]!.get('Paris', 0, 5) & LEX.PLACE).not.toBe(0);
    expect(back[0]!.get('xqzvy', 0, 5)).toBe(0);
    // Also from a buffer that does not start on a 4-byte boundary (a Buffer slice of a larger file read).
    const shifted = new Uint8Array(file.byteLength + 1).subarray(1);
    shifted.set(file);
    expect(bytes(deserialiseLexTables(shifted, key)![0]!.cells).equals(bytes(built[0]!.cells))).toBe(true);
  });

  it('a file written for other inputs is not used: another key, a truncated or foreign file', () => {
    expect(deserialiseLexTables(file, `${key}x`)).toBeUndefined();
    expect(deserialiseLexTables(file.subarray(0, file.byteLength - 8), key)).toBeUndefined();
    expect(deserialiseLexTables(new Uint8Array(64), key)).toBeUndefined();
    expect(deserialiseLexTables(new Uint8Array(4), key)).toBeUndefined();
  });

  it('the scan uses a file written for these inputs, and builds the tables when the file is stale or missing', () => {
    const fresh = join(dir, 'fresh.bin');
    writeFileSync(fresh, file);
    const read = loadNamesTables(fresh);
    expect(read.source).toBe('generated');
    expect(bytes(read.tables[0].cells).equals(bytes(built[0]!.cells))).toBe(true);
    const stale = join(dir, 'stale.bin');
    writeFileSync(stale, serialiseLexTables(built, 'written for other lists'));
    expect(loadNamesTables(stale).source).toBe('built');
    expect(loadNamesTables(join(dir, 'missing.bin')).source).toBe('built');
    // Right key, wrong contents (a hashing change the key cannot see): the spot check refuses it.
    writeFileSync(stale, serialiseLexTables([built[1]!, built[0]!], key));
    expect(loadNamesTables(stale).source).toBe('built');
  });

  it('the key changes with any input: a lexicon file, a word list, a flag', () => {
    const files = [Buffer.from('anna\nbert\n'), Buffer.from('paris\n')];
    const lists: [string[], number][] = [[['mr', 'mrs'], LEX.HONORIFIC]];
    const k = lexTablesKey(files, lists);
    expect(lexTablesKey([Buffer.from('anna\nberta\n'), files[1]!], lists)).not.toBe(k);
    expect(lexTablesKey(files, [[['mr', 'ms'], LEX.HONORIFIC]])).not.toBe(k);
    expect(lexTablesKey(files, [[['mr', 'mrs'], LEX.LEAD]])).not.toBe(k);
    expect(lexTablesKey(files, lists)).toBe(k);
  });
});
