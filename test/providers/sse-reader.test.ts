/**
 * The SSE reader over a Node body (providers/sse.ts, ReadableSseEvents): a hand-written iterator in place of two
 * async generators (issue 22.2), so its contract is pinned here — events in order across any split, the last
 * event flushed at the end, queued events before an error or a premature close, `return()` leaving the body
 * paused and readable, and a slow reader pausing the body instead of queueing without bound.
 */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../../providers/sse.js';

const frames = (n: number) => Array.from({ length: n }, (_, i) => `data: {"i":${i}}\n\n`).join('');
const datas = (events: SseEvent[]) => events.map((e) => e.data);
const tick = () => new Promise((r) => setImmediate(r));

async function drain(it: AsyncIterableIterator<SseEvent>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('readSse over a Node body', () => {
  it('yields every event in order, whatever the splits, and flushes a last event without its blank line', async () => {
    const text = `${frames(5)}event: error\ndata: é€😀\n\ndata: last`;
    const bytes = Buffer.from(text);
    // Split inside multi-byte characters and inside field names.
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) parts.push(bytes.subarray(i, i + 3));
    const events = await drain(readSse(Readable.from(parts)));
    expect(datas(events)).toEqual(['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}', '{"i":4}', 'é€😀', 'last']);
    expect(events[5]!.event).toBe('error');
  });

  it('hands queued events over before the error that ended the body', async () => {
    const body = new PassThrough();
    const it = readSse(body);
    const first = it.next(); // reading: the events below are decoded as they arrive
    body.write(frames(2));
    await tick();
    const boom = new Error('socket hang up');
    body.destroy(boom);
    expect((await first).value?.data).toBe('{"i":0}');
    expect((await it.next()).value?.data).toBe('{"i":1}');
    await expect(it.next()).rejects.toBe(boom);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('a body closed before its end fails as a premature close, after its queued events', async () => {
    const body = new PassThrough();
    const it = readSse(body);
    const first = it.next();
    body.write(frames(1));
    expect((await first).value?.data).toBe('{"i":0}');
    const pending = it.next(); // waiting when the body closes
    body.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('return() leaves the body paused, neither read nor destroyed, for the caller to drain or destroy', async () => {
    const body = new PassThrough();
    const it = readSse(body);
    body.write(frames(1));
    expect((await it.next()).value?.data).toBe('{"i":0}');
    const waiting = it.next();
    expect(await it.return!()).toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined }); // a read still waiting ends too
    body.end('data: after\n\n');
    await tick();
    expect(body.destroyed).toBe(false);
    expect(body.isPaused()).toBe(true);
    expect(String(body.read())).toBe('data: after\n\n'); // still there for the caller
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('a reader slower than the body pauses it once 64 events are queued, and resumes it when they are taken', async () => {
    const body = new PassThrough();
    const it = readSse(body);
    const first = it.next();
    body.write(frames(200));
    expect((await first).value?.data).toBe('{"i":0}');
    await tick();
    expect(body.isPaused()).toBe(true);
    const rest: string[] = [];
    for (let i = 1; i < 200; i++) rest.push((await it.next()).value!.data);
    expect(rest).toEqual(Array.from({ length: 199 }, (_, i) => `{"i":${i + 1}}`));
    expect(body.isPaused()).toBe(false);
    body.end();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('a body that ended or failed before the first read', async () => {
    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((r) => ended.once('end', r));
    expect(await readSse(ended).next()).toEqual({ done: true, value: undefined });

    const failed = new PassThrough();
    const boom = new Error('refused');
    failed.on('error', () => undefined);
    failed.destroy(boom);
    await tick();
    await expect(readSse(failed).next()).rejects.toBe(boom);
  });
});
