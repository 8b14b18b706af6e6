/**
 * vitest `setupFiles`: after each test file's own afterAll hooks (registered later, so run earlier), kills the
 * child processes its helpers started and that are still running — a failed or timed-out test never leaves a
 * gateway or redis-server behind. Says so on stderr: a test that relies on this should stop its children itself.
 */
import { afterAll } from 'vitest';
import { killTrackedChildren } from '../helpers/child-processes.js';

afterAll(async () => {
  const pids = await killTrackedChildren();
  if (pids.length) process.stderr.write(`[test cleanup] killed ${pids.length} child process(es) still running at the end of the file: ${pids.join(', ')}\n`);
});
