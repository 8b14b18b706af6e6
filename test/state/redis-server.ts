/**
 * Starts a throwaway `redis-server` child on a free port for tests (no persistence), and can stop and restart it
 * on the same port. When the binary is missing the suite skips with a printed reason — unless REDIS_REQUIRED=1
 * (CI), where that is a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { trackChild } from '../helpers/child-processes.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  /** Starts again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers — the "hang" case. */
  pause(): void;
  resume(): void;
}

export function redisServerAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const reason = `redis-server not found (${r.error?.message ?? `exit ${r.status}`}); install it with apt-get install redis-server`;
    if (process.env.REDIS_REQUIRED === '1') throw new Error(`REDIS_REQUIRED=1 but ${reason}`);
    return { ok: false, reason };
  }
  return { ok: true };
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** `dir` keeps data across stop/start (append-only file, fsync always), for restart-recovery tests. */
export async function startRedisServer(opts: { dir?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const persistence = opts.dir ? ['--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
      const c = trackChild(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }));
      child = c;
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/i.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.on('exit', (code) => {
        clearTimeout(timer);
        if (child === c) child = undefined;
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
