/**
 * A body over the limit is refused with 413 while the client is still sending it. The answer must reach the
 * client: closing a connection with unread data resets it, and the SDK then reports a connection error instead
 * of the 413 (seen 14 times in 20 before the gateway read such bodies to their end). A separate gateway process,
 * as in production: in one process the client's writes and the server's reads take turns and hide the race.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';

const LIMIT = 1024 * 1024;

describe('a body over the limit', () => {
  let upstream: FakeUpstream;
  let gw: GatewayProcess;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'gw-large-')), 'gateway.yaml');
    writeFileSync(file, stringify(baseConfig(upstream, { server: { logLevel: 'warn', bodyLimitBytes: LIMIT } })));
    gw = await startGatewayProcess(file);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it('gets 413 request_too_large in the SDK, every time, and the gateway serves on', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
    const huge = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'x'.repeat(3 * LIMIT) }] };
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => client.chat.completions.create(huge).then(() => 'served', (e: unknown) => (e instanceof OpenAI.APIError ? `${e.status} ${e.code}` : String(e)))),
    );
    expect(outcomes).toEqual(Array(20).fill('413 request_too_large'));
    const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0].message.content).toBeTruthy();
  });
});
