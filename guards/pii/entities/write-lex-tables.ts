/**
 * `npm run build`'s step that writes the name scan's lexicon tables to dist/generated/pii-lexicon.bin
 * (lex-table-file.ts), so a started gateway reads them instead of building them. Run from dist:
 * `node dist/guards/pii/entities/write-lex-tables.js`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatedLexTablesFile, serialiseLexTables } from './lex-table-file.js';
import { buildNamesTables, namesTablesKey } from './names.js';

const file = generatedLexTablesFile();
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, serialiseLexTables(buildNamesTables(), namesTablesKey()));
console.log(`wrote ${file}`);
