#!/usr/bin/env node
/**
 * `npm start`, the `ai-gateway` bin and the Dockerfile run this: the gateway (`main.ts`) bundled into one file,
 * `dist/gateway.cjs`, compiled with the V8 code cache in `dist/gateway.code-cache`. `npm run build` writes both
 * (src/build/bundle.ts). Why (issue 22.6, docs/performance.md): loaded as ~840 module files, start-up spent
 * about 70 % of its time finding, reading and compiling modules; one file with its bytecode cached starts in
 * about 40 % of the time.
 *
 * This file imports only Node's own modules, so that nothing is loaded twice. It writes nothing at run time: the
 * cache comes from the build, which starts the bundle once (guards and exact cache on, no request) with
 * `GATEWAY_PRIME_CODE_CACHE=1`: then the bytecode compiled up to ready is written and the process stops itself. A cache that V8
 * rejects (another node version, other V8 flags than `npm start`'s) costs speed, never correctness; it is said in
 * one line on stderr.
 * The node flags on the first line are those of `npm start` and the Dockerfile; test/ops/deploy-files.test.ts
 * keeps the three equal.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** What the bundle exports: `main.ts`'s exports (a type only: nothing of the module tree is loaded here). */
type Gateway = typeof import('./main.js');

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundleFile = join(dist, 'gateway.cjs');
const codeCacheFile = join(dist, 'gateway.code-cache');

/**
 * The cache's first line is the bundle's (`// ai-gateway bundle <uuid>`, new at every build): V8 itself checks only
 * the source's length, so bytecode of another bundle of the same length would run as if it were this one's. Kept as
 * bytes: a string sliced from the source would keep the whole 3.6 MB source alive beside V8's own copy.
 */
const headerOf = (source: string) => Buffer.from(`${source.slice(0, source.indexOf('\n'))}\n`);

function readCodeCache(head: Buffer): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(codeCacheFile);
  } catch {
    return undefined;
  }
  return data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
}

/** Evaluates the bundle as Node evaluates a CommonJS file, with the cached bytecode when there is one. */
function loadBundle(): { gateway: Gateway; head: Buffer; script: Script; cache: 'used' | 'rejected' | 'none' } {
  let source: string;
  try {
    source = readFileSync(bundleFile, 'utf8');
  } catch {
    process.stderr.write(`gateway failed to start: ${bundleFile} is missing; run \`npm run build\` (or \`npm start\`, which builds first)\n`);
    process.exit(1);
  }
  const head = headerOf(source);
  const cachedData = readCodeCache(head);
  // No `importModuleDynamically`: Node 20 drops it from a script compiled from cached bytecode, so the bundle holds
  // no `import()` (src/build/bundle.ts); packages left out of it are `require`d.
  const script = new Script(Module.wrap(source), { filename: bundleFile, cachedData });
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {} as Gateway };
  wrapper.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, dist);
  return { gateway: module.exports, head, script, cache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used' };
}

/** Writes the bytecode compiled so far, atomically (a concurrent start reads the old file or the new one). */
function writeCodeCache(head: Buffer, script: Script): void {
  const tmp = `${codeCacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([head, script.createCachedData()]));
  renameSync(tmp, codeCacheFile);
}

const { gateway, head, script, cache } = loadBundle();
if (cache === 'rejected') {
  process.stderr.write(`code cache ${codeCacheFile} rejected by V8 (built under another node version or V8 flags): start-up is slower until \`npm run build\`\n`);
}
gateway.main().then(() => {
  if (process.env.GATEWAY_PRIME_CODE_CACHE !== '1') return;
  writeCodeCache(head, script);
  process.kill(process.pid, 'SIGTERM');
}, gateway.startFailed);
