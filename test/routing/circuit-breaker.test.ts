/** The circuit breaker state machine on a controlled clock. */
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../src/routing/circuit-breaker.js';
import { breakerSchema } from '../../src/routing/route-schema.js';

function setup(overrides: Record<string, unknown> = {}) {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const b = createCircuitBreaker(breakerSchema.parse({ failureThreshold: 3, openMs: 1000, windowMs: 10_000, ...overrides }), clock.now);
  const fail = (n = 1) => { for (let i = 0; i < n; i++) b.failure(b.acquire()); };
  const ok = (n = 1) => { for (let i = 0; i < n; i++) b.success(b.acquire()); };
  return { b, clock, fail, ok };
}

describe('circuit breaker', () => {
  it('opens at the failure count inside the window, rejects while open', () => {
    const { b, fail } = setup();
    fail(2);
    expect(b.state()).toBe('closed');
    fail();
    expect(b.state()).toBe('open');
    expect(b.acquire()).toBeNull();
    expect(b.msUntilHalfOpen()).toBe(1000);
  });

  it('forgets failures older than the window', () => {
    const { b, clock, fail } = setup();
    fail(2);
    clock.advance(11_000);
    fail(2);
    expect(b.state()).toBe('closed');
  });

  it('opens on the failure ratio once enough requests were seen', () => {
    const { b, ok, fail } = setup({ failureThreshold: 0, failureRatio: 0.5, minRequests: 10 });
    ok(5);
    fail(4);
    expect(b.state()).toBe('closed'); // 9 requests < minRequests
    fail();
    expect(b.state()).toBe('open'); // 5 / 10
  });

  it('half-opens after openMs with a bounded number of probes; a good probe closes it', () => {
    const { b, clock, fail } = setup({ halfOpenProbes: 1 });
    fail(3);
    clock.advance(1000);
    expect(b.state()).toBe('half_open');
    const probe = b.acquire();
    expect(probe).toBe('probe');
    expect(b.acquire()).toBeNull(); // one probe at a time
    b.success(probe);
    expect(b.state()).toBe('closed');
    fail(2);
    expect(b.state()).toBe('closed'); // the failures that opened it were forgotten
  });

  it('a failed probe opens it again for another openMs; a released probe frees its slot', () => {
    const { b, clock, fail } = setup();
    fail(3);
    clock.advance(1000);
    const probe = b.acquire();
    b.release(probe);
    const again = b.acquire();
    expect(again).toBe('probe');
    b.failure(again);
    expect(b.state()).toBe('open');
    clock.advance(999);
    expect(b.state()).toBe('open');
    clock.advance(1);
    expect(b.state()).toBe('half_open');
  });

  it('disabled: never opens', () => {
    const { b, fail } = setup({ enabled: false });
    fail(100);
    expect(b.state()).toBe('closed');
  });
});
