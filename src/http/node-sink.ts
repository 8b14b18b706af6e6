import type { ServerResponse } from 'node:http';
import type { ErrorEnvelope } from '../core/errors.js';
import { Abort } from '../../providers/abort.js';
import type { ResponseSink } from '../pipeline/response-sink.js';

/**
 * ResponseSink over a raw Node response (the route hijacks Fastify's reply so SSE frames go straight to the
 * socket, unbuffered). The abort signal fires when the client closes the connection before we finished.
 */
export function createNodeSink(res: ServerResponse, opts: { keepAliveMs?: number; stallMs?: number } = {}): ResponseSink {
  const abort = new Abort();
  const headers: Record<string, string | number> = {};
  let streaming = false;
  let closed = false;
  // SSE keep-alive: a stream silent for a whole interval (a model thinking mid-answer, its thinking not relayed)
  // gets a comment line, which SSE clients ignore, so proxies and load balancers with an idle timeout (often
  // 60 s) do not cut it. Frames only set a flag; the timer runs once per interval, not per chunk.
  let keepAlive: NodeJS.Timeout | undefined;
  let wrote = false;
  const stopKeepAlive = () => {
    if (keepAlive) clearInterval(keepAlive);
    keepAlive = undefined;
  };
  res.on('close', () => {
    closed = true;
    stopKeepAlive();
    if (!res.writableFinished) abort.abort();
  });

  const waitDrain = () =>
    new Promise<void>((resolve) => {
      // A client that stays connected but stops reading: cut it after `stallMs`, so its close aborts the
      // request like any client abort (the upstream call ends, the budget hold settles).
      const stall = opts.stallMs ? setTimeout(() => res.destroy(), opts.stallMs) : undefined;
      const done = () => {
        clearTimeout(stall);
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });

  return {
    setHeader(name, value) {
      headers[name] = value;
    },
    sendJson(status, body) {
      if (closed) return;
      const payload = JSON.stringify(body);
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = Buffer.byteLength(payload);
      res.writeHead(status, headers);
      res.end(payload);
    },
    startStream() {
      streaming = true;
      headers['content-type'] = 'text/event-stream; charset=utf-8';
      headers['cache-control'] = 'no-cache';
      headers['x-accel-buffering'] = 'no';
      // Not flushed on their own: the first frame follows at once and carries them, one write instead of two.
      res.writeHead(200, headers);
      if (opts.keepAliveMs) {
        keepAlive = setInterval(() => {
          if (!wrote && !closed) res.write(': keep-alive\n\n');
          wrote = false;
        }, opts.keepAliveMs);
        keepAlive.unref();
      }
    },
    writeEvent(json) {
      if (closed) return;
      wrote = true;
      if (!res.write(`data: ${json}\n\n`)) return waitDrain();
    },
    endStream() {
      stopKeepAlive();
      if (!closed) res.end('data: [DONE]\n\n');
    },
    endWithError(envelope: ErrorEnvelope) {
      stopKeepAlive();
      if (!closed) res.end(`data: ${JSON.stringify(envelope)}\n\n`);
    },
    async writeRaw(text) {
      if (closed) return;
      wrote = true;
      if (!res.write(text)) await waitDrain();
    },
    endRaw(text) {
      stopKeepAlive();
      if (!closed) res.end(text);
    },
    get streaming() {
      return streaming;
    },
    get closed() {
      return closed;
    },
    signal: abort,
  };
}
