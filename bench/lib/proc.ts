/**
 * Child processes for the benchmark: spawn one pinned to a CPU (`taskset -c`), wait until it is ready, read its
 * CPU time and memory from /proc (the process and all its descendants, so nginx's worker counts), stop it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

/** A running child. `stop()` sends SIGTERM, then SIGKILL after 3 s; safe to call twice. */
export interface PinnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Last lines of stderr/stdout, for error messages when the child dies. */
  output(): string;
  stop(): Promise<void>;
}

let tasksetOk: boolean | undefined;
/** True when `taskset` exists and this machine has CPU 1 (pinning is skipped otherwise, and said so). */
export function canPin(): boolean {
  if (tasksetOk === undefined) {
    try {
      execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
      tasksetOk = true;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

/** Pins this process (all its threads) to `cpus` (e.g. '1' or '0,1'); no-op without taskset. */
export function pinSelf(cpus: string): void {
  if (canPin()) execFileSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' });
}

/** Spawns `cmd args` pinned to `cpu`; resolves once `ready` says so (or rejects when the child exits first). */
export async function spawnPinned(
  cpu: number,
  cmd: string,
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Ready when an output line says so (e.g. `LISTENING <port>`)… */
    ready?: (line: string) => boolean;
    /** …or once this port accepts connections. */
    port?: number;
    timeoutMs?: number;
  },
): Promise<PinnedProcess> {
  const [file, argv] = canPin() ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let stopped: Promise<void> | undefined;
  const proc: PinnedProcess = {
    pid: child.pid!,
    child,
    output: () => tail.join(''),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
  return new Promise<PinnedProcess>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        void proc.stop();
        reject(err);
      } else resolve(proc);
    };
    const timer = setTimeout(() => finish(new Error(`${cmd} not ready after ${opts.timeoutMs ?? 30_000} ms: ${proc.output()}`)), opts.timeoutMs ?? 30_000);
    const onData = (buf: Buffer) => {
      const text = buf.toString();
      tail.push(text);
      if (tail.length > 40) tail.shift();
      for (const line of text.split('\n')) {
        if (!line || done) continue;
        if (opts.ready?.(line)) finish();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => finish(e));
    child.once('exit', (code, sig) => finish(new Error(`${cmd} exited (${code ?? sig}) before it was ready: ${proc.output()}`)));
    if (opts.port !== undefined) waitForPort(opts.port, opts.timeoutMs).then(() => finish(), (e: Error) => finish(e));
  });
}

/** Port from a `LISTENING <port>` line, or undefined. */
export function listeningPort(line: string): number | undefined {
  const m = /^LISTENING (\d+)/.exec(line.trim());
  return m ? Number(m[1]) : undefined;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (polls every 10 ms up to `timeoutMs`; fine
 * enough for bench/start-up.ts to time spawn → ready). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `pid` and all its descendants (from /proc/<pid>/stat parent links). Linux only. */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parent.get(ppid) ?? [];
      list.push(Number(name));
      parent.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of parent.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);

/** User + system CPU time in ms of `pid` and its descendants (utime+stime of /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of the full line
    } catch {
      /* exited */
    }
  }
  return ticks * TICK_MS;
}

/** CPU time in ms of this process and of the children it has waited for (utime+stime+cutime+cstime). */
export function ownTreeCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** CPU time in ms the whole machine spent busy (every /proc/stat column but idle and iowait). */
export function machineBusyMs(): number {
  const [, ...cols] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = cols.map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  return (n[0]! + n[1]! + n[2]! + n[5]! + n[6]! + n[7]!) * TICK_MS;
}

/** Resident memory in MB of `pid` and its descendants: current (VmRSS) and peak (VmHWM). */
export function rssMb(pid: number): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return { rss: rss / 1024, peak: peak / 1024 };
}

/** A TCP port that was free a moment ago (for children that take `--port=N`). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
