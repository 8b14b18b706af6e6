/** Calendar-aligned budget periods in UTC. Pure functions. */
import type { BudgetPeriod } from './types.js';

const DAY = 86_400_000;

/** Start of the period containing `now` (0 for lifetime). */
export function periodStart(period: BudgetPeriod, now: number): number {
  const d = new Date(now);
  switch (period) {
    case 'daily':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'weekly': {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const sinceMonday = (d.getUTCDay() + 6) % 7; // getUTCDay: 0 = Sunday
      return day - sinceMonday * DAY;
    }
    case 'monthly':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'lifetime':
      return 0;
  }
}

/** Start of the next period (when the budget resets); null for lifetime. */
export function periodEnd(period: BudgetPeriod, now: number): number | null {
  const start = periodStart(period, now);
  const d = new Date(start);
  switch (period) {
    case 'daily':
      return start + DAY;
    case 'weekly':
      return start + 7 * DAY;
    case 'monthly':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    case 'lifetime':
      return null;
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = DAY;
export const hourOf = (t: number): number => t - (((t % HOUR_MS) + HOUR_MS) % HOUR_MS);
