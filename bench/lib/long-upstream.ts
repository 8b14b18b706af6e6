/**
 * The long-stream benchmark's upstream: every `POST /v1/chat/completions` with `stream: true` is answered with
 * CHUNKS content events `GAP_MS` apart (role event and first token at once, then one token per tick, finish +
 * usage + `[DONE]` after the last), the shape of a real LLM stream of hundreds of tokens. JSON requests (the
 * gateway's smoke check) get a short completion.
 *
 * One shared ticker writes the next event of every open stream, instead of one timer per stream: at 9,000
 * streams × 50 events/s the upstream shares its core with the load generator, and a timer per event would make
 * the floor itself the bottleneck. Streams join the ticker after their first event, so every later gap is
 * GAP_MS apart in every proxy's run alike.
 *
 * Child-process entry: `CHUNKS=500 GAP_MS=20 node bench/lib/long-upstream.ts` (compiled); prints `LISTENING <port>`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendStamp } from './chunk-stamp.js';

const CHUNKS = Math.max(1, Number(process.env.CHUNKS ?? 500));
const GAP_MS = Math.max(1, Number(process.env.GAP_MS ?? 20));
const WORDS = [' alpha', ' bravo', ' charlie', ' delta', ' echo', ' foxtrot', ' golf', ' hotel'];
let seq = 0;

interface Open {
  res: ServerResponse;
  head: string;
  sent: number;
}
const open = new Set<Open>();

const frame = (head: string, delta: string, finish: string | null = null) =>
  `data: ${head}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`;
// Every STAMP_EVERY-th chunk carries its send time, so the client measures each chunk's transit through the proxy
// (not only gaps, which a proxy that delays every chunk alike would hide).
// `sendStamp`/`readStamp` are shared with the client (bench/long-streams.ts).
export const STAMP_EVERY = 4;
const token = (i: number) => JSON.stringify({ content: i % STAMP_EVERY === 0 ? `${WORDS[i % WORDS.length]} ~${sendStamp()}~` : WORDS[i % WORDS.length] });

setInterval(() => {
  for (const s of open) {
    if (s.res.destroyed) {
      open.delete(s);
      continue;
    }
    if (s.sent < CHUNKS) {
      s.res.write(frame(s.head, token(s.sent++)));
      continue;
    }
    open.delete(s);
    const usage = { prompt_tokens: 120, completion_tokens: CHUNKS, total_tokens: 120 + CHUNKS };
    s.res.end(`${frame(s.head, '{}', 'stop')}data: ${s.head}"choices":[],"usage":${JSON.stringify(usage)}}\n\ndata: [DONE]\n\n`);
  }
}, GAP_MS);

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { model?: string; stream?: boolean } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      /* answered as JSON below */
    }
    const model = body.model ?? 'gpt-4o-mini';
    const id = `chatcmpl-long${(++seq).toString(36)}`;
    if (!body.stream) {
      const text = JSON.stringify({
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'The quick answer is forty-two.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    const head = `{"id":"${id}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(frame(head, '{"role":"assistant","content":"","refusal":null}') + frame(head, token(0)));
    open.add({ res, head, sent: 1 });
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.maxRequestsPerSocket = 0;
// The gateway's default listen backlog (server.listenBacklog): with Node's 511 the floor itself dropped handshakes
// when thousands of streams opened at once on a busy machine (docs/performance.md, "3,000 concurrent streams").
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => console.log(`LISTENING ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
