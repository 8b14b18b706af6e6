/**
 * The benchmark's upstream: a lean OpenAI-compatible server (`POST /v1/chat/completions`, JSON and SSE with a
 * usage chunk, keep-alive). Leaner than test/fakes/fake-upstream.ts on purpose: it shares CPU 1 with the load
 * generator, so every microsecond it spends is one the proxies' figures could be disturbed by. Answers are
 * precomputed per model; a stream sends its chunks as separate writes, `CHUNK_GAP_MS` apart, so time to
 * first chunk is distinguishable from time to last.
 *
 * Run as a child process: `node --import tsx bench/lib/upstream-server.ts`; prints `LISTENING <port>` once
 * it accepts connections, exits on SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CHUNK_GAP_MS = 1;
const PIECES = ['The', ' quick', ' answer', ' is', ' forty', '-two', '.'];
const USAGE = { prompt_tokens: 120, completion_tokens: PIECES.length, total_tokens: 120 + PIECES.length };
let seq = 0;

function completion(model: string): string {
  return JSON.stringify({
    id: `chatcmpl-bench${(++seq).toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: PIECES.join(''), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: USAGE,
    system_fingerprint: 'fp_bench',
  });
}

/** SSE events of one stream: role, content pieces, finish, usage, [DONE]; each a complete `data:` frame. */
function streamEvents(model: string): string[] {
  const base = { id: `chatcmpl-bench${(++seq).toString(36)}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, system_fingerprint: 'fp_bench' };
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const choice = (delta: unknown, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  return [
    frame(choice({ role: 'assistant', content: '', refusal: null }, null)) + frame(choice({ content: PIECES[0] }, null)),
    ...PIECES.slice(1).map((p) => frame(choice({ content: p }, null))),
    frame(choice({}, 'stop')) + frame({ ...base, choices: [], usage: USAGE }) + 'data: [DONE]\n\n',
  ];
}

function sendStream(res: ServerResponse, events: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i === events.length - 1) return void res.end(events[i]);
    res.write(events[i++]);
    setTimeout(next, CHUNK_GAP_MS);
  };
  next();
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return void res.end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}');
  }
  let body: { model?: string; stream?: boolean };
  try {
    body = JSON.parse(raw);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    return void res.end('{"error":{"message":"bad json","type":"invalid_request_error","param":null,"code":null}}');
  }
  const model = body.model ?? 'gpt-4o-mini';
  if (body.stream) return sendStream(res, streamEvents(model));
  const text = completion(model);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.maxRequestsPerSocket = 0;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
