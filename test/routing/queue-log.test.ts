/** The warn line for waits on capped connections: at most one per provider per interval, with counts. */
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createQueueLog } from '../../src/routing/queue-log.js';

it('logs the first wait at once, then at most one line per provider per interval with what happened since', async () => {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) });
  const log = createQueueLog(createLogger('info', sink), 100);
  log.record('openai', 50, false);
  for (let i = 0; i < 50; i++) log.record('openai', 300, true);
  log.record('anthropic', 10, false);
  expect(lines.map((l) => [l.provider, l.waited, l.timedOut])).toEqual([['openai', 1, 0], ['anthropic', 1, 0]]);
  await new Promise((r) => setTimeout(r, 120));
  log.record('openai', 20, false);
  expect(lines.at(-1)).toMatchObject({ level: 40, provider: 'openai', waited: 51, timedOut: 50, maxWaitMs: 300 });
  expect(lines.at(-1)!.msg).toMatch(/^upstream connection limit reached for provider openai: 51 request\(s\) waited/);
  expect(lines).toHaveLength(3);
});
