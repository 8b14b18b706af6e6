/**
 * vitest `globalSetup`: marks this run (an environment variable every process it starts inherits) and, when the
 * run ends, kills any process still carrying the mark — the last line of defence behind the per-file cleanup
 * (`kill-children.ts`) for children no helper tracked, or whose test worker died first (its children are then
 * re-parented away from vitest, so a walk of the process tree would miss them). The mark is unique per run, so
 * other test runs on the same machine are never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const RUN_MARK_VAR = 'GATEWAY_TEST_RUN';

export function setup(): () => void {
  const mark = `${process.pid}-${Date.now()}`;
  process.env[RUN_MARK_VAR] = mark;
  return () => {
    const killed = killMarked(mark);
    if (killed.length) process.stderr.write(`[test cleanup] killed ${killed.length} leftover process(es) of this run: ${killed.join('; ')}\n`);
  };
}

/** Processes (other than this one and its direct children, the test workers) whose environment has the mark. */
export function markedProcesses(mark: string): { pid: number; cmd: string }[] {
  const needle = `${RUN_MARK_VAR}=${mark}\0`;
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!`${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(needle)) continue;
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (ppid === process.pid) continue;
      out.push({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 160) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}

function killMarked(mark: string): string[] {
  const killed: string[] = [];
  for (const p of markedProcesses(mark)) {
    try {
      process.kill(p.pid, 'SIGKILL');
      killed.push(`${p.pid} ${p.cmd}`);
    } catch {
      // Exited meanwhile.
    }
  }
  return killed;
}
