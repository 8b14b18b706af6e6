/**
 * `npm run build`'s last step (package.json `postbuild`): writes the chat request validators as ajv standalone
 * code to dist/generated/request-validators.cjs, so a started gateway loads them instead of compiling OpenAI's
 * schema (see `warmRequestSchema`). Run from dist: `node dist/src/core/write-request-validators.js`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GENERATED_VALIDATORS, generateValidatorModule } from './request-schema.js';

mkdirSync(dirname(GENERATED_VALIDATORS), { recursive: true });
writeFileSync(GENERATED_VALIDATORS, generateValidatorModule());
console.log(`wrote ${GENERATED_VALIDATORS}`);
