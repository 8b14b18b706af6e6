import { afterEach, describe, expect, it } from 'vitest';
import { toUsageQuery } from '../../src/admin/usage-format.js';

const tz = process.env.TZ;
afterEach(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

describe('usage query times', () => {
  it('reads an ISO time without a zone as UTC, whatever the server time zone', () => {
    process.env.TZ = 'America/New_York';
    const q = toUsageQuery({ from: '2026-11-01T00:00:00', to: '2026-11-02T00:00', granularity: 'day' });
    expect(new Date(q.from).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(q.to).toISOString()).toBe('2026-11-02T00:00:00.000Z');
    expect(toUsageQuery({ from: '2026-11-01', to: '2026-11-01T05:00:00+02:00', granularity: 'hour' }).to).toBe(Date.UTC(2026, 10, 1, 3));
  });
});
