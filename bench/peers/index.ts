/**
 * The proxies measured side by side, each started as its own child process pinned to CPU 0 in front of the same
 * upstream. `start` resolves with the running process and how to reach it, or `{ skip }` with a reason when the
 * peer cannot run here (nginx not installed, Portkey not installed or failing its smoke request).
 * To add one more peer: add an entry to `PEERS` that spawns it with `spawnPinned(PROXY_CPU, …)`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { freePort, listeningPort, spawnPinned, type PinnedProcess } from '../lib/proc.js';
import type { Target } from '../lib/load.js';
import { findNginx, writeNginxConfig } from './nginx.js';
import { BENCH_KEY, benchConfig, FEATURE_NOTES, type FeatureSet } from './gateway-config.js';
import { gatewayCli, nodeArgsFor } from '../lib/compile.js';

export const PROXY_CPU = 0;
export const LOAD_CPU = 1;
const here = dirname(fileURLToPath(import.meta.url));
const UPSTREAM_KEY = 'sk-bench-upstream';

/** A started peer: the child to measure (absent for `direct`) and the request target. */
export interface RunningPeer {
  proc?: PinnedProcess;
  target: Target;
  /** Version or configuration note shown in the report. */
  note: string;
  /** With BENCH_CPU_PROF: starts a CPU profile of the child; `stop` ends it and writes the file. */
  profile?: { start(): void; stop(): Promise<void> };
  /** Our gateway only: its state directory (gateway.sqlite holds the usage ledger). */
  dataDir?: string;
}

/** One proxy under test. `start` must not leave a child behind when it rejects or skips. */
export interface Peer {
  id: string;
  name: string;
  start(upstreamPort: number): Promise<RunningPeer | { skip: string }>;
}

const path = '/v1/chat/completions';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Port printed by a child as `LISTENING <port>`. */
function printedPort(proc: PinnedProcess): number {
  for (const line of proc.output().split('\n')) {
    const port = listeningPort(line);
    if (port) return port;
  }
  throw new Error(`no LISTENING line in: ${proc.output()}`);
}

/** Spawns a TypeScript entry as plain JS pinned to `cpu`; resolves once it prints `LISTENING`. */
async function startTsChild(cpu: number, file: string, env: NodeJS.ProcessEnv): Promise<{ proc: PinnedProcess; port: number; how: string }> {
  const { args, how } = await nodeArgsFor(file);
  const flags = process.env.BENCH_BARE_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const proc = await spawnPinned(cpu, process.execPath, [...flags, ...args], { env, ready: (line) => listeningPort(line) !== undefined });
  return { proc, port: printedPort(proc), how };
}

let cli: ReturnType<typeof gatewayCli> | undefined;
/** Builds the gateway once (tsc), so that a bench timing `start` (bench/start-up.ts) does not time the build. */
export function prepareGateway(): ReturnType<typeof gatewayCli> {
  return (cli ??= gatewayCli());
}

function portkeyDir(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    return dirname(req.resolve('@portkey-ai/gateway/package.json'));
  } catch {
    const guess = join(here, '..', '..', 'node_modules', '@portkey-ai', 'gateway');
    return existsSync(join(guess, 'package.json')) ? guess : undefined;
  }
}

function version(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
}

/** Our gateway as users run it (the CLI → `startGateway`), with a config file written for the run. */
const GATEWAY_NAMES: Record<FeatureSet, string> = {
  off: 'gateway, features off',
  budgets: 'gateway, budgets + limits',
  'budgets-redis': 'gateway, budgets + limits on Redis',
  core: 'gateway, targets set',
  'core-redis': 'gateway, targets set on Redis',
  all: 'gateway, all on',
};

const gatewayPeer = (features: FeatureSet): Peer => ({
  id: `gateway-${features}`,
  name: GATEWAY_NAMES[features],
  async start(upstreamPort) {
    const cli = prepareGateway();
    const dir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
    const port = await freePort();
    const config = join(dir, 'gateway.yaml');
    let redis: PinnedProcess | undefined;
    let redisUrl: string | undefined;
    if (features.endsWith('-redis')) {
      if (spawnSync('redis-server', ['--version']).status !== 0) return { skip: 'redis-server is not installed (apt-get install redis-server)' };
      const redisPort = await freePort();
      // Redis shares CPU 1 with the upstream and the load generator: the proxy's core measures the gateway only.
      redis = await spawnPinned(1, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { port: redisPort });
      redisUrl = `redis://127.0.0.1:${redisPort}`;
    }
    writeFileSync(config, JSON.stringify(benchConfig(`http://127.0.0.1:${upstreamPort}`, features, join(dir, 'data'), port, redisUrl), null, 2));
    // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each gateway child over its 1,000 req/s phase, written to
    // <dir>/gateway-<features>.cpuprofile (summarise with bench/lib/profile-summary.ts).
    const profDir = process.env.BENCH_CPU_PROF;
    const profOut = profDir ? join(profDir, `gateway-${features}.cpuprofile`) : undefined;
    const prof = profOut ? ['--import', join(here, '..', 'lib', 'profile-window.mjs')] : [];
    if (profDir) mkdirSync(profDir, { recursive: true });
    // BENCH_GATEWAY_NODE_FLAGS: extra node flags for the gateway children only (A/B runs of runtime tuning); after
    // those of `npm start`, so one of theirs can be overridden (V8 takes the last).
    const flags = process.env.BENCH_GATEWAY_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const proc = await spawnPinned(PROXY_CPU, process.execPath, [...cli.flags, ...flags, ...prof, ...cli.args, '--config', config], { port, env: profOut ? { BENCH_PROFILE_OUT: profOut } : {} });
    const stop = proc.stop.bind(proc);
    const cleanup = { ...proc, stop: () => stop().then(() => redis?.stop()).then(() => rmSync(dir, { recursive: true, force: true })) };
    const signal = () => process.kill(proc.pid, 'SIGUSR2');
    // The profile is written from the child's event loop once it stops: give it a moment before it is measured on.
    const profile = profOut ? { start: signal, stop: () => (signal(), new Promise<void>((r) => setTimeout(r, 500))) } : undefined;
    return { proc: cleanup, profile, dataDir: join(dir, 'data'), note: `${FEATURE_NOTES[features]}; ${cli.how}`, target: { origin: `http://127.0.0.1:${port}`, path, headers: bearer(BENCH_KEY) } };
  },
});

/** The bare Node proxy; `connections` 0 lifts its upstream socket cap (256 otherwise, as in the overhead bench). */
export const bareProxyPeer = (connections = 256): Peer => ({
  id: 'bare',
  name: 'bare Node proxy (undici)',
  async start(upstreamPort) {
    const env = { UPSTREAM: `http://127.0.0.1:${upstreamPort}`, CONNECTIONS: String(connections) };
    const { proc, port, how } = await startTsChild(PROXY_CPU, join(here, 'bare-proxy.ts'), env);
    const cap = connections > 0 ? `${connections} upstream sockets` : 'no upstream socket cap';
    return { proc, note: `node:http + undici request, ${cap}, Node ${process.version}, ${how}`, target: { origin: `http://127.0.0.1:${port}`, path, headers: bearer(UPSTREAM_KEY) } };
  },
});

export const PEERS: Peer[] = [
  {
    id: 'direct',
    name: 'direct (no proxy)',
    async start(upstreamPort) {
      return { note: 'client → upstream', target: { origin: `http://127.0.0.1:${upstreamPort}`, path, headers: bearer(UPSTREAM_KEY) } };
    },
  },
  {
    id: 'nginx',
    name: 'nginx',
    async start(upstreamPort) {
      const found = findNginx();
      if ('skip' in found) return found;
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
      const conf = writeNginxConfig(dir, port, upstreamPort);
      const proc = await spawnPinned(PROXY_CPU, found.bin, ['-c', conf, '-p', dir, '-e', join(dir, 'logs', 'error.log')], { port });
      return { proc, note: '1 worker, upstream keepalive pool, proxy_buffering off', target: { origin: `http://127.0.0.1:${port}`, path, headers: bearer(UPSTREAM_KEY) } };
    },
  },
  bareProxyPeer(),
  {
    id: 'portkey',
    name: 'Portkey gateway',
    async start(upstreamPort) {
      const dir = portkeyDir();
      if (!dir) return { skip: '@portkey-ai/gateway is not installed (npm install -D @portkey-ai/gateway @hono/node-server@1.13.5)' };
      const port = await freePort();
      const proc = await spawnPinned(PROXY_CPU, process.execPath, ['build/start-server.js', `--port=${port}`, '--headless'], { cwd: dir, port });
      const headers = { ...bearer(UPSTREAM_KEY), 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${upstreamPort}/v1` };
      return { proc, note: `@portkey-ai/gateway ${version(dir)}`, target: { origin: `http://127.0.0.1:${port}`, path, headers } };
    },
  },
  gatewayPeer('off'),
  gatewayPeer('budgets'),
  gatewayPeer('budgets-redis'),
  gatewayPeer('core'),
  gatewayPeer('core-redis'),
  gatewayPeer('all'),
];

/** Starts the bench upstream pinned to the load CPU. */
export async function startUpstream(): Promise<{ proc: PinnedProcess; port: number }> {
  const { proc, port } = await startTsChild(LOAD_CPU, join(here, '..', 'lib', 'upstream-server.ts'), {});
  return { proc, port };
}

/** Starts the long-stream upstream (bench/lib/long-upstream.ts) pinned to the load CPU. */
export async function startLongUpstream(chunks: number, gapMs: number): Promise<{ proc: PinnedProcess; port: number }> {
  const { proc, port } = await startTsChild(LOAD_CPU, join(here, '..', 'lib', 'long-upstream.ts'), { CHUNKS: String(chunks), GAP_MS: String(gapMs) });
  return { proc, port };
}
