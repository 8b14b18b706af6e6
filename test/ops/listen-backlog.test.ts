/**
 * `server.listenBacklog` reaches the API listener (docs/performance.md, "3,000 concurrent streams": with Node's
 * default of 511 the kernel dropped handshakes while thousands of streams opened at once and clients saw
 * `ECONNRESET`). Measured by behaviour: the gateway's event loop is held (spawnSync of a child that opens many
 * connections), so nothing is accepted and only the kernel's queue can hold them; the child counts how many
 * complete the TCP handshake. Linux only (the kernel caps the backlog at net.core.somaxconn).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { configSchema } from '../../src/config/schema.js';

const SOMAXCONN = '/proc/sys/net/core/somaxconn';
const somaxconn = existsSync(SOMAXCONN) ? Number(readFileSync(SOMAXCONN, 'utf8').trim()) : 0;
const N = 1000;

/**
 * Opens `n` connections to `port` from a child process while this process's event loop is blocked, and returns
 * how many completed the handshake within about a second (a SYN dropped by a full queue is retried only after 1 s).
 */
function connectWhileBlocked(port: number, n: number): number {
  const script = `
    const net = require('node:net');
    let connected = 0;
    const sockets = [];
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(${port}, '127.0.0.1');
      s.on('connect', () => connected++);
      s.on('error', () => {});
      sockets.push(s);
    }
    setTimeout(() => { console.log(connected); for (const s of sockets) s.destroy(); process.exit(0); }, 900);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`connect child failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

describe('server.listenBacklog', () => {
  let upstream: FakeUpstream | undefined;
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await upstream?.close();
    gw = upstream = undefined;
  });

  it('defaults to 4096', () => {
    const config = configSchema.parse({ providers: { p: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } } });
    expect(config.server.listenBacklog).toBe(4096);
  });

  it.runIf(process.platform === 'linux' && somaxconn >= N)(`by default, ${N} connections opened at once all wait in the queue (Node's 511 would drop some)`, async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream);
    expect(connectWhileBlocked(gw.port, N)).toBe(N);
    // And the gateway still answers once its loop runs again.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it.runIf(process.platform === 'linux')('a configured backlog is the listener’s: 64 queues about 65 of 300', async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway(upstream, { server: { listenBacklog: 64 } });
    const n = connectWhileBlocked(gw.port, 300);
    expect(n).toBeGreaterThanOrEqual(60);
    expect(n).toBeLessThan(150);
  });
});
