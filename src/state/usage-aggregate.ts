/** Groups hourly usage rows into query rows (used by backends that cannot GROUP BY themselves). Pure. */
import { DAY_MS } from './periods.js';
import { USAGE_METRICS, type UsageDimension, type UsageQuery, type UsageRecord, type UsageRow } from './types.js';

const FIELD = { team: 'teamId', key: 'keyId', model: 'model', provider: 'provider', api: 'api', user: 'endUser', tag: 'tag' } as const satisfies Record<UsageDimension, keyof UsageRecord>;
const ORDER: UsageDimension[] = ['team', 'key', 'model', 'provider', 'api', 'user', 'tag'];

export type HourlyRow = Pick<UsageRecord, 'teamId' | 'keyId' | 'model' | 'provider' | (typeof USAGE_METRICS)[number]> & { hour: number; api: string; endUser: string; tag: string };

export function matchesFilters(q: UsageQuery, d: Pick<UsageRecord, 'teamId' | 'keyId' | 'model' | 'provider'> & { api: string; endUser: string; tag: string }): boolean {
  return (
    (q.teamId === undefined || q.teamId === d.teamId) &&
    (q.keyId === undefined || q.keyId === d.keyId) &&
    (q.model === undefined || q.model === d.model) &&
    (q.provider === undefined || q.provider === d.provider) &&
    (q.api === undefined || q.api === d.api) &&
    (q.endUser === undefined || q.endUser === d.endUser) &&
    (q.tag === undefined || q.tag === d.tag)
  );
}

export function aggregateUsage(q: UsageQuery, rows: HourlyRow[]): UsageRow[] {
  const dims = ORDER.filter((d) => q.groupBy?.includes(d));
  const groups = new Map<string, UsageRow>();
  for (const r of rows) {
    const bucket = q.granularity === 'day' ? r.hour - (r.hour % DAY_MS) : r.hour;
    const id = JSON.stringify([bucket, ...dims.map((d) => r[FIELD[d]])]);
    let g = groups.get(id);
    if (!g) {
      g = { bucket } as UsageRow;
      for (const d of dims) g[FIELD[d]] = r[FIELD[d]];
      for (const m of USAGE_METRICS) g[m] = 0;
      groups.set(id, g);
    }
    for (const m of USAGE_METRICS) g[m] += r[m];
  }
  const cmp = (a: UsageRow, b: UsageRow) => {
    if (a.bucket !== b.bucket) return a.bucket - b.bucket;
    for (const d of dims) {
      const x = a[FIELD[d]] ?? '';
      const y = b[FIELD[d]] ?? '';
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  return [...groups.values()].sort(cmp);
}
