/** The machine a run happened on, for the report header. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

function tryRun(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim() || undefined;
  } catch (e) {
    // `nginx -v` writes its version to stderr.
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return err || undefined;
  }
}

/** Markdown lines describing the machine; `busy` when the 1-minute load average already exceeds half the cores. */
export function machineMarkdown(): { markdown: string; busy: boolean; load: string } {
  const c = cpus();
  const nginx = tryRun('/usr/sbin/nginx', ['-v']) ?? tryRun('nginx', ['-v']);
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD']);
  const [l1] = loadavg();
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const markdown = [
    `Machine: ${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()};`,
    `Node ${process.version}${nginx ? `, ${nginx.replace(/^nginx version: /, '')}` : ''}${commit ? `; commit ${commit}` : ''}; load average at the end ${load}.`,
  ].join('\n');
  return { markdown, busy: l1 > c.length / 2, load };
}
