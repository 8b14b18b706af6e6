import { describe, expect, it } from 'vitest';
import { periodEnd, periodStart } from '../../src/state/periods.js';

describe('budget periods (UTC calendar)', () => {
  it('aligns days, Monday weeks, months and lifetime', () => {
    const sunday = Date.UTC(2024, 2, 31, 23, 30); // Sunday 31 March 2024
    expect(periodStart('daily', sunday)).toBe(Date.UTC(2024, 2, 31));
    expect(periodEnd('daily', sunday)).toBe(Date.UTC(2024, 3, 1));
    expect(periodStart('weekly', sunday)).toBe(Date.UTC(2024, 2, 25));
    expect(periodEnd('weekly', sunday)).toBe(Date.UTC(2024, 3, 1));
    expect(periodStart('weekly', Date.UTC(2024, 3, 1))).toBe(Date.UTC(2024, 3, 1)); // Monday 00:00 starts a week
    expect(periodStart('monthly', sunday)).toBe(Date.UTC(2024, 2, 1));
    expect(periodEnd('monthly', Date.UTC(2024, 1, 29, 12))).toBe(Date.UTC(2024, 2, 1)); // leap February
    expect(periodEnd('monthly', Date.UTC(2024, 11, 31, 23, 59))).toBe(Date.UTC(2025, 0, 1));
    expect(periodStart('lifetime', sunday)).toBe(0);
    expect(periodEnd('lifetime', sunday)).toBeNull();
  });
});
