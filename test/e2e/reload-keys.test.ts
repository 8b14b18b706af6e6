/** Config reload and gateway keys: what the file says about a key applies to the next request. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig, OTHER_TEAM_KEY, TEST_KEY } from '../helpers/test-gateway.js';

let upstream: FakeUpstream;
let gw: RunningGateway;
let file: string;
const EXTRA = 'gw-extra-config-key-0123456789abcdefghijklmnopq';
const keys = (extra: Record<string, unknown>[] = []) => [
  { id: 'test', team: 'default', key: TEST_KEY },
  { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
  ...extra,
];
const write = (k: Record<string, unknown>[]) => writeFileSync(file, stringify(baseConfig(upstream, { keys: k })));
const ask = (key: string) =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  file = join(mkdtempSync(join(tmpdir(), 'gw-reload-keys-')), 'gateway.yaml');
  write(keys([{ id: 'extra', team: 'default', key: EXTRA }]));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  gw = await startGateway(loadConfigFile(file), createLogger('silent', sink), file, {});
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('keys on config reload', () => {
  it('an expiry in the past set in the file stops the key at once', async () => {
    await ask(EXTRA);
    write(keys([{ id: 'extra', team: 'default', key: EXTRA, expiresAt: '2020-01-01T00:00:00Z' }]));
    expect(await gw.reloader.reload('test')).toBe(true);
    await expect(ask(EXTRA)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    write(keys([{ id: 'extra', team: 'default', key: EXTRA }]));
    expect(await gw.reloader.reload('test')).toBe(true);
    await ask(EXTRA); // expiry removed from the file: works again
  });

  it('a key removed from the file stops working at the reload', async () => {
    write(keys());
    expect(await gw.reloader.reload('test')).toBe(true);
    await expect(ask(EXTRA)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await ask(TEST_KEY);
  });
});
