import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';

/**
 * The node flags of `npm start` (package.json's start script), if any (e.g. `--max-semi-space-size=32`). The
 * Dockerfile and the bin use the same (test/ops/deploy-files.test.ts), and so does the run that primes the code
 * cache (V8 rejects a cache made under other V8 flags).
 */
export function startNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter((w) => w.startsWith('--'));
}
