/**
 * Every process a test starts is gone when the run ends (issue 18.9: `npm test` left a gateway from
 * test/ops/shutdown.test.ts listening). Runs vitest on a file that leaks processes on purpose (a gateway whose
 * test fails, one whose test times out, an untracked detached process), with the suite's own cleanup, and checks
 * that none of them outlives the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a vitest run leaves no process behind, even from failed and timed-out tests', async () => {
  const pidsFile = join(mkdtempSync(join(tmpdir(), 'leak-pids-')), 'pids');
  const run = spawn(process.execPath, [fromRoot('node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/ops/fixtures/leak/vitest.config.ts'], {
    cwd: fromRoot(),
    env: { ...process.env, LEAK_PIDS_FILE: pidsFile, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  run.stdout!.on('data', (d: Buffer) => (out += d));
  run.stderr!.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
  const started = readFileSync(pidsFile, 'utf8').trim().split('\n').map((l) => {
    const [what, pid] = l.split(' ');
    return { what: what!, pid: Number(pid) };
  });
  expect(started.map((s) => s.what).sort(), out).toEqual(['detached', 'gateway-failed', 'gateway-timeout']);
  expect(code, out).toBe(1); // the leaky tests themselves fail, as they should
  // SIGKILLed processes disappear at once; allow the kernel a moment to reap.
  const deadline = Date.now() + 2000;
  while (started.some((s) => alive(s.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(started.filter((s) => alive(s.pid)), out).toEqual([]);
  // The per-file cleanup caught the gateways; the run's sweep caught the untracked one. Both say so.
  expect(out).toMatch(/\[test cleanup\] killed 2 child process\(es\) still running at the end of the file/);
  expect(out).toMatch(/\[test cleanup\] killed 1 leftover process\(es\) of this run: \d+ .*setInterval/);
}, 90_000);
