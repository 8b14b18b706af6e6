/**
 * Every process a test starts is gone when its test file ends, whatever the test did (issue 18.9: a gateway
 * spawned by test/ops/shutdown.test.ts was still listening after the suite, because the test failed before it
 * sent the signal that would have stopped it). Helpers that spawn register the child here; the per-file setup
 * (`test/setup/kill-children.ts`) kills what is still alive after the file's own afterAll hooks ran, and the
 * global teardown (`test/setup/global-teardown.ts`) sweeps anything of the run that escaped both.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Registers a spawned child for the end-of-file sweep; returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running and waits (at most 5 s) until they exited; returns their pids. */
export async function killTrackedChildren(): Promise<number[]> {
  const alive = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          c.once('exit', () => (clearTimeout(timer), resolve()));
          // A stopped (SIGSTOP) process still dies on SIGKILL.
          if (!c.kill('SIGKILL')) (clearTimeout(timer), resolve());
        }),
    ),
  );
  live.clear();
  return alive.map((c) => c.pid!).filter(Boolean);
}
