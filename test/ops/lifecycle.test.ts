/**
 * Process lifecycle beyond the plain SIGTERM of shutdown.test.ts: shutdown with keep-alive clients (the official
 * SDK pools its connections), repeated signals (Ctrl-C under `npm start` delivers SIGINT twice: from the terminal
 * and forwarded by npm), a crash (uncaught exception) during a stream, and a port already in use.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { startGateway } from '../../src/server.js';
import { createSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { fromRoot } from '../../src/paths.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { baseConfig, startTestGateway, TEST_KEY } from '../helpers/test-gateway.js';
import { logLines, METERED_KEY, readSse, writeOpsConfig } from './ops-harness.js';

const PROMPT = 'stream back these ten words slowly so that shutdown must wait';

const streamRequest = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${METERED_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: PROMPT }], max_tokens: 200 }),
    dispatcher: new Agent(),
  } as RequestInit);

let upstream: FakeUpstream;
let dir: string;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'gw-lifecycle-'));
});
afterAll(() => upstream?.close());

describe('in-process shutdown', () => {
  it('returns once the running stream ends, not at the grace deadline, when the client keeps its connection alive', async () => {
    const gw = await startTestGateway(upstream, { server: { shutdownGraceMs: 8000 } });
    upstream.enqueue({ chunkDelayMs: 60 });
    // The official SDK keeps its connection in a pool after the stream: an idle keep-alive connection.
    const stream = await gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true });
    let closing: Promise<void> | undefined;
    let signalledAt = 0;
    let chunks = 0;
    for await (const _ of stream) {
      chunks++;
      if (!closing) {
        signalledAt = performance.now();
        closing = gw.close();
      }
    }
    expect(chunks).toBeGreaterThan(5); // the running stream was served to its end
    await closing;
    expect(performance.now() - signalledAt).toBeLessThan(3000);
  }, 20_000);

  it('a request arriving on a busy keep-alive connection during the drain gets 503 in OpenAI’s envelope, with connection: close', async () => {
    const gw = await startTestGateway(upstream, { server: { shutdownGraceMs: 8000 } });
    upstream.enqueue({ chunkDelayMs: 40 });
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    const head = (len: number) =>
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TEST_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${len}\r\n\r\n`;
    const socket = connect(gw.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(head(Buffer.byteLength(body)) + body);
    // The stream has started: now the replica is told to stop, and the same client sends its next request.
    while (!received.includes('data: ')) await new Promise((r) => setTimeout(r, 10));
    const closing = gw.close();
    await new Promise((r) => setTimeout(r, 50));
    const next = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    socket.write(head(Buffer.byteLength(next)) + next);
    await closed;
    await closing;
    // The running stream was served to its end, then the second answer: a retryable 503 in the usual envelope.
    expect(received.indexOf('data: [DONE]')).toBeGreaterThan(0);
    const second = received.slice(received.indexOf('data: [DONE]'));
    expect(second).toMatch(/HTTP\/1\.1 503/);
    expect(second.toLowerCase()).toContain('connection: close');
    const answer = second.slice(second.indexOf('HTTP/1.1 503'));
    const envelope = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(envelope.error).toMatchObject({ code: 'shutting_down', type: 'server_error' });
    expect(envelope.error.message).toMatch(/shutting down/);
  }, 20_000);

  it('a port in use: a clear error, the runtime closed, and no first-run key lost', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const store = await createSqliteStateStore({ path: ':memory:' });
    try {
      // No keys in the config: the first start creates and prints a key for team default.
      const config = configSchema.parse(baseConfig(upstream, { server: { port }, keys: [] }));
      await expect(startGateway(config, createLogger('silent'), '(test)', { store, watchConfig: false })).rejects.toThrow(
        new RegExp(`port ${port} .*already in use`),
      );
      // The key created on the way was never shown: it must not count as the team's key, or the next start
      // would create none and the operator would have no key at all.
      const keys = await store.listKeys('default');
      expect(keys.filter((k) => k.revokedAt === undefined)).toEqual([]);
    } finally {
      blocker.close();
      await store.close();
    }
  });
});

describe('gateway process', () => {
  it('a second SIGTERM (or SIGINT) during shutdown does not kill the process: the stream finishes, settles, exit 0', async () => {
    const gw = await startGatewayProcess(writeOpsConfig(dir, 'twice.yaml', upstream, { kind: 'sqlite', dataDir: join(dir, 'twice') }, { shutdownGraceMs: 6000 }));
    upstream.enqueue({ chunkDelayMs: 100 });
    const res = await streamRequest(gw.url);
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    let signalled = false;
    const frames = await readSse(res, () => {
      if (signalled) return;
      signalled = true;
      gw.child.kill('SIGINT');
      setTimeout(() => gw.child.kill('SIGINT'), 50);
      setTimeout(() => gw.child.kill('SIGTERM'), 300);
    });
    expect(frames.at(-1)).toBe('[DONE]');
    expect(await exit).toBe(0);
    const line = logLines(gw.output()).find((l) => l.msg === 'chat completion');
    expect(line).toMatchObject({ status: 200, stream: true });
  }, 30_000);

  it('an uncaught exception is logged as one fatal JSON line, running streams drain and settle, exit 1', async () => {
    // Thrown from a callback in the gateway process, as a library bug would, once the stream below is running.
    const boom = join(dir, 'boom.mjs');
    writeFileSync(boom, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('boom from a library'); }));\n");
    const gw = await startGatewayProcess(writeOpsConfig(dir, 'boom.yaml', upstream, { kind: 'sqlite', dataDir: join(dir, 'boom') }, { shutdownGraceMs: 6000 }), {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${boom}`,
    });
    upstream.enqueue({ chunkDelayMs: 150 });
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    const res = await streamRequest(gw.url);
    expect(res.status).toBe(200);
    let thrown = false;
    const frames = await readSse(res, () => {
      if (!thrown) gw.child.kill('SIGUSR2');
      thrown = true;
    });
    expect(frames.at(-1)).toBe('[DONE]');
    expect(await exit).toBe(1);
    const logs = logLines(gw.output());
    expect(logs.find((l) => l.level === 60)).toMatchObject({ msg: expect.stringContaining('uncaught exception'), err: { message: 'boom from a library' } });
    expect(logs.find((l) => l.msg === 'chat completion')).toMatchObject({ status: 200 });
  }, 30_000);

  it('`npm start` on a port in use says so in one line and exits 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const config = writeOpsConfig(dir, 'busy.yaml', upstream, { kind: 'sqlite', dataDir: join(dir, 'busy') });
      const run = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('src', 'cli.ts'), '--config', config, '--port', String(port), '--host', '127.0.0.1'], {
        cwd: fromRoot(),
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace for an operator mistake
    } finally {
      blocker.close();
    }
  }, 40_000);
});
