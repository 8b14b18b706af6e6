/**
 * A minimal HTTP/1.1 client over a raw socket, for requests ordinary clients refuse to send (conflicting
 * content-length, invalid header bytes, slow bodies). It reads until the server closes or a deadline passes.
 */
import { connect } from 'node:net';

/** What came back: the status (0 when the server closed without answering) and the body bytes after the head. */
export interface RawResponse {
  status: number;
  headers: string;
  body: string;
  /** True when the deadline passed with the connection still open and no complete answer. */
  timedOut: boolean;
}

function parse(raw: Buffer, timedOut: boolean): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return { status: m ? Number(m[1]) : 0, headers: end >= 0 ? text.slice(0, end) : text, body: end >= 0 ? Buffer.from(text.slice(end + 4), 'latin1').toString('utf8') : '', timedOut };
}

/** Sends `parts` (with `gapMs` between them: a slow client), then reads the answer until close or `deadlineMs`. */
export function rawRequest(port: number, parts: Buffer[], opts: { gapMs?: number; deadlineMs?: number } = {}): Promise<RawResponse> {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), timedOut));
    };
    const timer = setTimeout(() => done(true), deadlineMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // A complete content-length answer: no need to wait for the close.
      const r = parse(Buffer.concat(chunks), false);
      const cl = /content-length: (\d+)/i.exec(r.headers);
      if (r.status && cl && Buffer.byteLength(r.body) >= Number(cl[1])) done(false);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.on('connect', async () => {
      for (const p of parts) {
        if (settled || socket.destroyed) return;
        socket.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
  });
}

/** Splits a buffer into pieces of `size` bytes (a slow body sends one piece per gap). */
export function pieces(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
