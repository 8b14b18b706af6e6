/** The machine a run happened on, for the report header. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { machineBusyMs, ownTreeCpuMs } from './proc.js';

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim() || undefined;
  } catch (e) {
    // `nginx -v` writes its version to stderr.
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return err || undefined;
  }
}

/** Other work on the machine during a run, as the average number of cores it kept busy. */
export interface OtherLoad {
  cores: number;
}

/**
 * Starts watching for other work during a run: the machine's busy CPU time minus the bench's own (this process
 * and the children it started and has reaped: every peer, redis-server, nginx), per second of wall time. Why not
 * the load average: the bench itself keeps both cores busy, so the load average at the end is mostly its own
 * work and marked quiet runs as shared too. Call the returned function after every child has been stopped.
 */
export function watchOtherLoad(): () => OtherLoad {
  const t0 = performance.now();
  const machine0 = machineBusyMs();
  const own0 = ownTreeCpuMs();
  return () => {
    const other = machineBusyMs() - machine0 - (ownTreeCpuMs() - own0);
    return { cores: Math.max(0, other) / (performance.now() - t0) };
  };
}

/** More than this many cores of other work on average marks a run as shared (kernel and VM agent stay below). */
const SHARED_CORES = 0.2;

/** Markdown lines describing the machine; `busy` when other work averaged more than SHARED_CORES during the run. */
export function machineMarkdown(other: OtherLoad): { markdown: string; busy: boolean; otherWork: string } {
  const c = cpus();
  const nginx = tryRun('/usr/sbin/nginx', ['-v']) ?? tryRun('nginx', ['-v']);
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const markdown = [
    `Machine: ${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()};`,
    `Node ${process.version}${nginx ? `, ${nginx.replace(/^nginx version: /, '')}` : ''}${commit ? `; commit ${commit}` : ''}; load average at the end ${load} (the bench's own included); other processes kept ${other.cores.toFixed(2)} cores busy on average during the run.`,
  ].join('\n');
  return { markdown, busy: other.cores > SHARED_CORES, otherWork: `${other.cores.toFixed(2)} cores of other work on average` };
}
