/**
 * Runs the gateway as a real child process (`src/cli.ts` under tsx, with `npm start`'s node flags), as operators
 * run it, and waits until it logs that it listens. For multi-replica and signal tests. `entry` replaces
 * `--import tsx src/cli.ts` (test/ops/launch.test.ts starts the built bundle).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fromRoot } from '../../src/paths.js';
import { startNodeFlags } from '../../src/build/start-flags.js';
import { trackChild } from './child-processes.js';

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

export async function startGatewayProcess(configFile: string, env: Record<string, string> = {}, entry = ['--import', 'tsx', fromRoot('src', 'cli.ts')]): Promise<GatewayProcess> {
  const port = await freePort();
  // Tracked: killed at the end of the test file if the test did not stop it (a failed test, a timeout).
  const child = trackChild(spawn(process.execPath, [...startNodeFlags(), ...entry, '--config', configFile, '--port', String(port), '--host', '127.0.0.1'], {
    cwd: fromRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`gateway exited (${code}):\n${out}`))));
  exited.catch(() => undefined);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await Promise.race([fetch(`${url}/healthz`).then((r) => r.ok, () => false), exited]);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
