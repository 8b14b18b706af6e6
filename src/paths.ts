import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json lives), whether running from `src/` under tsx or compiled `dist/`. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

export const fromRoot = (...parts: string[]): string => join(packageRoot, ...parts);

/**
 * The project's shared reference data (fixtures, datasets), used by tests, benches and scripts only:
 * `GATEWAY_SHARED_DIR`, else `../shared` next to the checkout, else `/work/shared`.
 */
export const sharedDir: string = (() => {
  if (process.env.GATEWAY_SHARED_DIR) return process.env.GATEWAY_SHARED_DIR;
  const sibling = join(packageRoot, '..', 'shared');
  return existsSync(sibling) ? sibling : '/work/shared';
})();

export const fromShared = (...parts: string[]): string => join(sharedDir, ...parts);
