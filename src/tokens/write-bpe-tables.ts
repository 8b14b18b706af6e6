/**
 * `npm run build`'s step after the request validators (package.json `postbuild`): writes each encoding's BPE tables
 * (bpe.ts) to dist/generated/bpe-<encoding>.bin from tiktoken's rank files, so a started gateway reads them
 * (~4 MB, a few ms) instead of building them. Run from dist: `node dist/src/tokens/write-bpe-tables.js`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildTables, generatedTablesFile, serialiseTables, tablesKey, type BpeEncodingName } from './bpe.js';

for (const name of ['o200k_base', 'cl100k_base'] as BpeEncodingName[]) {
  const file = generatedTablesFile(name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, serialiseTables(buildTables(name), tablesKey(name)));
  console.log(`wrote ${file}`);
}
