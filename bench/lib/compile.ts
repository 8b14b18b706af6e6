/**
 * Runs benchmark children as plain JavaScript, the way users run the gateway: tsx's loader thread would add
 * ~40 MB RSS and its own startup to every TypeScript child, which Portkey and nginx do not pay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeFlags } from '../../src/build/start-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Under node_modules so that bare imports (undici) resolve from the output file.
const OUT = join(root, 'node_modules', '.cache', 'ai-gateway-bench');

/** How to start a TypeScript entry file: `node <args>`; compiled with esbuild when possible, else under tsx. */
export async function nodeArgsFor(tsFile: string): Promise<{ args: string[]; how: string }> {
  try {
    const esbuild = await import('esbuild');
    mkdirSync(OUT, { recursive: true });
    const outfile = join(OUT, basename(tsFile).replace(/\.ts$/, '.mjs'));
    // Local imports bundled in (the output lives elsewhere), packages left to resolve from node_modules.
    await esbuild.build({ entryPoints: [tsFile], outfile, format: 'esm', platform: 'node', target: 'node20', bundle: true, packages: 'external', logLevel: 'silent' });
    return { args: [outfile], how: 'compiled (esbuild)' };
  } catch {
    return { args: ['--import', 'tsx', tsFile], how: 'under tsx' };
  }
}

/**
 * The gateway as `npm start` runs it: `node <flags> <args>` = `node <its flags> dist/src/launch.js` (the bundle
 * and its code cache), after `tsc -p tsconfig.build.json` and the build's postbuild steps. The flags come apart so
 * a bench can add its own after them (V8 takes the last).
 * Falls back to `node <flags> --import tsx src/cli.ts` (said in the report) when the build fails.
 */
export function gatewayCli(): { flags: string[]; args: string[]; how: string } {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const started = Date.now() - 1000;
  const r = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const cli = join(root, 'dist', 'src', 'launch.js');
  const fresh = existsSync(cli) && statSync(cli).mtimeMs >= started;
  // `npm run build`'s postbuild too (generated request validators, BPE tables, the bundle and its code cache), so
  // a start is timed as users run it.
  if (fresh) spawnSync('npm', ['run', '--silent', 'postbuild'], { cwd: root, stdio: 'ignore' });
  const flags = startNodeFlags();
  const run = ['node', ...flags, 'dist/src/launch.js'].join(' ');
  if (r.status === 0 && fresh) return { flags, args: [cli], how: `${run}, freshly built` };
  // tsc emits despite type errors (no noEmitOnError): a work-in-progress file elsewhere need not stop the bench.
  if (fresh) return { flags, args: [cli], how: `${run}, freshly built (tsc reported type errors)` };
  const why = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown error';
  return { flags, args: ['--import', 'tsx', join(root, 'src', 'cli.ts')], how: `${['node', ...flags, '--import tsx src/cli.ts'].join(' ')} (build failed: ${why.slice(0, 120)})` };
}
