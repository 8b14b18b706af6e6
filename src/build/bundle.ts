/**
 * The last step of `npm run build`: bundles the compiled gateway (`dist/src/main.js` and the packages it
 * imports at start) into `dist/gateway.cjs`, then primes its V8 code cache by starting it once (src/launch.ts says
 * why and how both are used). `node dist/src/build/bundle.js [distDir]`; distDir defaults to the package's dist/.
 *
 * Each module keeps the `import.meta.url` it has unbundled: what the gateway finds next to its modules (the
 * embedding worker, the files the PII tables' key hashes) and the packages it resolves from there are the same
 * for the bundle as for the module tree.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { fromRoot } from '../paths.js';
import { startNodeFlags } from './start-flags.js';

/**
 * Left to Node at run time:
 * - native addons and WASM, loaded from their package's own directory;
 * - the model runtimes that only an operator's model or the local embedder's worker process loads;
 * - packages only some configs load, after start (Redis state, Qdrant, MCP, tracing): inside the bundle their
 *   source would sit in every gateway's heap (~2.2 MB) whether used or not.
 * The bundle reaches them with `require`, never `import()` (`supported` below): so all must offer CommonJS.
 */
const EXTERNAL = [
  ...['better-sqlite3', 'hnswlib-node', 'tiktoken', 'onnxruntime-node', 'sharp'],
  ...['@huggingface/transformers', '@energetic-ai/*', '@tensorflow/*'],
  ...['ioredis', '@qdrant/*', '@modelcontextprotocol/*'],
  ...['@opentelemetry/core', '@opentelemetry/exporter-*', '@opentelemetry/resources', '@opentelemetry/sdk-*', '@opentelemetry/semantic-conventions'],
];

/** `import.meta.url` (and `.dirname`, `.filename`) of each bundled module: its own file, found from the bundle's directory. */
function importMetaOfEachFile(outDir: string): Plugin {
  return {
    name: 'import-meta-of-each-file',
    setup(b) {
      b.onLoad({ filter: /\.m?js$/ }, (args) => {
        const code = readFileSync(args.path, 'utf8');
        if (!code.includes('import.meta')) return undefined;
        const rel = JSON.stringify(relative(outDir, args.path));
        return {
          contents: code
            .replace(/\bimport\.meta\.url\b/g, `__moduleUrl(${rel})`)
            .replace(/\bimport\.meta\.dirname\b/g, `require("node:path").dirname(__moduleFile(${rel}))`)
            .replace(/\bimport\.meta\.filename\b/g, `__moduleFile(${rel})`),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * The banner: the bundle's id on its first line (its code cache names it: src/launch.ts), then the helpers that give
 * a bundled module its own path and URL (the bundle runs as CommonJS, `__dirname` is dist/).
 */
const banner = () =>
  [
    `// ai-gateway bundle ${randomUUID()}`,
    'const __moduleFile = (rel) => require("node:path").join(__dirname, rel);',
    'const __moduleUrl = (rel) => require("node:url").pathToFileURL(__moduleFile(rel)).href;',
  ].join('\n');

/** esbuild's options for `<dist>/gateway.cjs` from `<dist>/src/main.js` (tsc's output). */
export function bundleOptions(dist: string): BuildOptions {
  return {
    entryPoints: [join(dist, 'src', 'main.js')],
    outfile: join(dist, 'gateway.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // `import()` in code compiled from a V8 code cache fails on Node 20 (the script's import callback is not kept
    // with the cached bytecode: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so lazy imports become lazy requires.
    supported: { 'dynamic-import': false },
    plugins: [importMetaOfEachFile(dist)],
    banner: { js: banner() },
    // The bundle's source stays in every gateway's heap: without whitespace and comments it is 3.6 MB, not 5.2
    // (idle RSS −4 MB). Names are kept, so stack traces still name functions; gateway.cjs.map maps a position
    // back to its module (Node does not apply it to code compiled through vm.Script).
    minifyWhitespace: true,
    sourcemap: 'external',
    logLevel: 'error',
  };
}

/** Writes `<dist>/gateway.cjs` and drops the code cache of the previous bundle. */
export async function bundleGateway(dist: string): Promise<void> {
  rmSync(join(dist, 'gateway.code-cache'), { force: true });
  await build(bundleOptions(dist));
}

/**
 * What the priming start runs: every feature whose code a start compiles (state store, guards, exact cache), and
 * none that would load a model or reach a network. No request is sent: providers are never called.
 */
const primeConfig = (dataDir: string) => ({
  server: { host: '127.0.0.1', port: 0, logLevel: 'warn' },
  state: { kind: 'sqlite', dataDir },
  embeddings: { kind: 'off' },
  cache: { mode: 'on', semantic: 'off' },
  providers: { openai: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'unused' } },
  models: { 'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60' }, contextWindow: 128000 } },
  teams: { default: { allowedModels: ['*'], policy: { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' }, injection: { enabled: true, action: 'flag' } } } } },
  keys: [{ id: 'prime', team: 'default', key: 'gw-prime-only-key-used-by-no-client-0123456789' }],
});

/**
 * Starts `<dist>/src/launch.js` once (the config above, data in a temporary directory) with
 * `GATEWAY_PRIME_CODE_CACHE=1`: it writes the bytecode compiled up to ready and stops. Under `npm start`'s node
 * flags, since V8 rejects a cache made under other flags. Resolves with the exit code and the output's tail.
 */
export function primeCodeCache(dist: string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-prime-'));
  const config = join(dir, 'gateway.json');
  // JSON is YAML: the config loader reads it.
  writeFileSync(config, JSON.stringify(primeConfig(join(dir, 'data'))));
  const child = spawn(process.execPath, [...startNodeFlags(), join(dist, 'src', 'launch.js'), '--config', config], {
    env: { ...process.env, GATEWAY_PRIME_CODE_CACHE: '1', GATEWAY_WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      done({ code, output });
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = resolve(process.argv[2] ?? fromRoot('dist'));
  await bundleGateway(dist);
  const primed = await primeCodeCache(dist);
  // Without the cache the gateway starts all the same, only slower: said loudly, not a failed build.
  if (primed.code !== 0) process.stderr.write(`warning: priming the code cache failed (exit ${primed.code}); the gateway starts without it:\n${primed.output}\n`);
}
