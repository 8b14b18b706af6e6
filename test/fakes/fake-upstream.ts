/**
 * One fake upstream HTTP server speaking both provider wire formats (OpenAI under `/v1/chat/completions`,
 * `/v1/embeddings`, `/v1/models`; Anthropic under `/v1/messages`). Every end-to-end test and the benchmark use
 * it. By default it answers realistically (see fake-openai.ts / fake-anthropic.ts); queued behaviours replace
 * or disturb those answers (status, body, raw SSE replay, delays, hangs, connection resets, byte-split writes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicError, anthropicMessages } from './fake-anthropic.js';
import { openAIChat, openAIEmbeddings, openAIError, openAIModels, type FakeAnswer } from './fake-openai.js';

/** How the fake answers one request. Fields combine: e.g. `{ chunkDelayMs: 20 }` delays the default stream. */
export interface FakeBehaviour {
  /** Status to answer with; without `json`/`sse` a realistic error body for the path's format is generated. */
  status?: number;
  /** Exact JSON body to send. */
  json?: unknown;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /** A raw SSE transcript to replay byte for byte (e.g. a file of /work/shared/fixtures/sse). */
  sse?: string;
  /** Pause between SSE events. */
  chunkDelayMs?: number;
  /** Pause between the last SSE event and the end of the body (the end of the chunked encoding comes apart). */
  endDelayMs?: number;
  /** Delay before response headers. */
  firstByteDelayMs?: number;
  /** Never finish: before sending headers, or after the first SSE event (half the body for JSON answers). */
  hang?: 'before-headers' | 'mid-stream';
  /** Destroy the socket after N SSE events (a connection reset mid-stream); JSON answers: reset, no response. */
  resetAfterEvents?: number;
  /** Write the SSE body one byte at a time. */
  splitBytes?: boolean;
}

/** One request the fake received, in arrival order. */
export interface FakeRequest {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (the raw string when it is not JSON, undefined when empty). */
  body: any;
  /** True once the client closed the connection before the response was complete. */
  readonly clientAborted: boolean;
  /** Resolves when the response ends: 'finished' when fully sent, 'aborted' when the client went away first. */
  readonly closed: Promise<'finished' | 'aborted'>;
}

/** A running fake. Lives until `close()`; behaviours queued with `enqueue` are consumed one per request. */
export interface FakeUpstream {
  url: string;
  /** `url + '/v1'`: the base URL an OpenAI client or the OpenAI adapter uses. */
  openaiBaseUrl: string;
  /** `url`: the base URL the Anthropic SDK and adapter use (they append `/v1/messages`). */
  anthropicBaseUrl: string;
  requests: FakeRequest[];
  /** TCP connections accepted so far (a client that reuses its connections keeps this low). */
  readonly connectionCount: number;
  /** The next requests get these behaviours, in order (then the default again). */
  enqueue(...b: FakeBehaviour[]): void;
  /** Behaviour for every request with nothing queued; `null` restores realistic answers. */
  setDefault(b: FakeBehaviour | null): void;
  /** Forget recorded requests and queued behaviours. */
  reset(): void;
  close(): Promise<void>;
}

/** Resolves once the data is handed to the socket, so a following reset cannot swallow it. */
const write = (res: ServerResponse, data: string | Buffer) => new Promise<void>((r) => res.write(data, () => r()));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Splits a transcript after each blank line, keeping bytes exact; a last event without one is kept too. */
export function splitSseEvents(raw: string): string[] {
  const out: string[] = [];
  const re = /\r?\n\r?\n/g;
  let start = 0;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    out.push(raw.slice(start, m.index + m[0].length));
    start = m.index + m[0].length;
  }
  if (start < raw.length) out.push(raw.slice(start));
  return out;
}

function defaultAnswer(path: string, method: string, body: any): FakeAnswer {
  if (path === '/v1/chat/completions' && method === 'POST') return openAIChat(body);
  if (path === '/v1/messages' && method === 'POST') return anthropicMessages(body);
  if (path === '/v1/embeddings' && method === 'POST') return openAIEmbeddings(body);
  if (path === '/v1/models' && method === 'GET') return openAIModels();
  return path === '/v1/messages' ? anthropicError(404, 'Not found') : openAIError(404, `Unknown path ${path}`, 'unknown_url');
}

function errorAnswer(path: string, status: number): FakeAnswer {
  if (path.startsWith('/v1/messages')) {
    return anthropicError(status, status === 529 ? 'Overloaded' : `Fake upstream error ${status}`);
  }
  const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
  return openAIError(status, `Fake upstream error ${status}`, code);
}

/** Options of one fake. */
export interface FakeUpstreamOptions {
  /** Record requests in `requests` (default true). The benchmark turns it off to keep memory flat. */
  record?: boolean;
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const record = opts.record ?? true;
  const queue: FakeBehaviour[] = [];
  let fallback: FakeBehaviour | null = null;
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  let connectionCount = 0;

  const server = createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    connectionCount++;
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let body: any = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    let aborted = false;
    const closed = new Promise<'finished' | 'aborted'>((resolve) =>
      res.on('close', () => {
        aborted = !res.writableFinished;
        resolve(aborted ? 'aborted' : 'finished');
      }),
    );
    if (record) requests.push({ path, method: req.method ?? 'GET', headers: req.headers, body, closed, get clientAborted() { return aborted; } });
    const b: FakeBehaviour = queue.shift() ?? fallback ?? {};

    if (b.firstByteDelayMs) await sleep(b.firstByteDelayMs);
    if (b.hang === 'before-headers' || res.destroyed) return;

    let answer: FakeAnswer;
    if (b.sse !== undefined) answer = { status: b.status ?? 200, events: splitSseEvents(b.sse) };
    else if (b.json !== undefined) answer = { status: b.status ?? 200, json: b.json };
    else if (b.status !== undefined && b.status >= 300) answer = errorAnswer(path, b.status);
    else answer = defaultAnswer(path, req.method ?? 'GET', body);

    if ('json' in answer) {
      // A JSON answer has no events: a reset drops the connection without any response, a mid-stream hang
      // sends the headers and half the body.
      if (b.resetAfterEvents !== undefined) return void res.socket?.destroy();
      const text = JSON.stringify(answer.json);
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...b.headers });
      if (b.hang === 'mid-stream') return void res.write(text.slice(0, text.length >> 1));
      res.end(text);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...b.headers });
    await writeEvents(res, answer.events, b);
  }

  async function writeEvents(res: ServerResponse, events: string[], b: FakeBehaviour): Promise<void> {
    const slow = Boolean(b.chunkDelayMs || b.endDelayMs || b.splitBytes || b.hang || b.resetAfterEvents !== undefined);
    if (!slow) {
      res.end(events.join(''));
      return;
    }
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed) return;
      if (b.resetAfterEvents !== undefined && i >= b.resetAfterEvents) {
        res.socket?.destroy();
        return;
      }
      if (i > 0 && b.chunkDelayMs) await sleep(b.chunkDelayMs);
      if (b.splitBytes) {
        for (const byte of Buffer.from(events[i], 'utf8')) {
          if (res.destroyed) return;
          await write(res, Buffer.of(byte));
          await new Promise((r) => setImmediate(r));
        }
      } else {
        await write(res, events[i]);
      }
      if (b.hang === 'mid-stream') return; // headers and one event sent, then silence until the client gives up
    }
    if (b.resetAfterEvents !== undefined && b.resetAfterEvents <= events.length) {
      res.socket?.destroy();
      return;
    }
    if (b.endDelayMs) {
      const ms = b.endDelayMs;
      // Cut short when the client gives up on the body: nothing is left to send then.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        res.once('close', () => (clearTimeout(timer), resolve()));
      });
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    get connectionCount() {
      return connectionCount;
    },
    enqueue: (...b) => void queue.push(...b),
    setDefault: (b) => void (fallback = b),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
