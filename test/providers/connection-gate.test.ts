/** The bounded wait for a capped provider's connections (providers/connection-gate.ts), without HTTP. */
import { describe, expect, it } from 'vitest';
import { createConnectionGate } from '../../providers/connection-gate.js';
import { Abort } from '../../providers/abort.js';
import { ProviderError } from '../../providers/types.js';

const never = new Abort();

describe('connection gate', () => {
  it('admits up to the limit at once (no promise), then queues in arrival order', async () => {
    const gate = createConnectionGate('p', 2, 1000);
    expect(gate.acquire(never)).toBe(0);
    expect(gate.acquire(never)).toBe(0);
    const order: string[] = [];
    const a = (gate.acquire(never) as Promise<number>).then(() => order.push('a'));
    const b = (gate.acquire(never) as Promise<number>).then(() => order.push('b'));
    expect(gate.stats()).toEqual({ limit: 2, active: 2, waiting: 2 });
    gate.release();
    await a;
    expect(gate.stats()).toEqual({ limit: 2, active: 2, waiting: 1 });
    gate.release();
    await b;
    expect(order).toEqual(['a', 'b']);
    expect(gate.stats()).toEqual({ limit: 2, active: 2, waiting: 0 });
  });

  it('a newcomer does not jump the queue when a slot frees', async () => {
    const gate = createConnectionGate('p', 1, 1000);
    gate.acquire(never);
    const waiting = gate.acquire(never) as Promise<number>;
    gate.release(); // goes to the waiter, not to whoever asks next
    const newcomer = gate.acquire(never);
    expect(typeof newcomer).not.toBe('number');
    (newcomer as Promise<number>).catch(() => undefined); // it times out later; nothing to see
    expect(await waiting).toBeGreaterThanOrEqual(0);
  });

  it('gives up after the timeout with queue_timeout and how long it waited; the waiter leaves the queue', async () => {
    const gate = createConnectionGate('p', 1, 120);
    gate.acquire(never);
    const t0 = performance.now();
    const err = await (gate.acquire(never) as Promise<number>).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.errorClass).toBe('queue_timeout');
    expect(err.retryable).toBe(false); // routing moves to the next target itself, without retrying this one
    expect(err.opts.queueMs).toBeGreaterThanOrEqual(115);
    expect(performance.now() - t0).toBeLessThan(400);
    expect(gate.stats().waiting).toBe(0);
    gate.release();
    expect(gate.stats().active).toBe(0);
  });

  it('a client abort while waiting leaves the queue at once', async () => {
    const gate = createConnectionGate('p', 1, 10_000);
    gate.acquire(never);
    const signal = new Abort();
    const waiting = (gate.acquire(signal) as Promise<number>).catch((e) => e);
    signal.abort();
    expect((await waiting).errorClass).toBe('aborted');
    expect(gate.stats()).toEqual({ limit: 1, active: 1, waiting: 0 });
  });
});
