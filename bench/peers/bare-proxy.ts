/**
 * The floor for any Node gateway: a pass-through proxy on node:http + undici `request`, streaming both bodies
 * through, keep-alive pool to the upstream, no parsing. Child-process entry:
 * `UPSTREAM=http://127.0.0.1:N node --import tsx bench/peers/bare-proxy.ts`; prints `LISTENING <port>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';

// CONNECTIONS=0 lifts the socket cap (the long-stream bench holds thousands of streams open at once).
const cap = Number(process.env.CONNECTIONS ?? 256);
const pool = new Pool(process.env.UPSTREAM ?? 'http://127.0.0.1:1', { connections: cap > 0 ? cap : null, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const strip = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));

const server = createServer({ keepAlive: true, noDelay: true }, async (req, res) => {
  try {
    const up = await pool.request({ method: req.method as 'POST', path: req.url ?? '/', headers: strip(req.headers) as Record<string, string>, body: req });
    res.writeHead(up.statusCode, strip(up.headers));
    pipeline(up.body, res, () => {});
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 120_000;
// The same listen backlog as the gateway's default (server.listenBacklog), not Node's 511: a floor that drops
// handshakes the gateway queues would not be the floor (docs/performance.md, "3,000 concurrent streams").
server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => console.log(`LISTENING ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
