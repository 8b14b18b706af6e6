/** Usage ledger rows → JSON rows and CSV. Pure. */
import { USAGE_METRICS, type UsageDimension, type UsageQuery, type UsageRow } from '../state/types.js';
import { microsToUsd } from '../usage/pricing.js';
import { GatewayError } from '../core/errors.js';
import { parseTime } from './schemas.js';

const DAY = 86_400_000;
const DIMENSIONS: { dim: UsageDimension; field: 'teamId' | 'keyId' | 'model' | 'provider' | 'api' | 'endUser' | 'tag' }[] = [
  { dim: 'team', field: 'teamId' },
  { dim: 'key', field: 'keyId' },
  { dim: 'model', field: 'model' },
  { dim: 'provider', field: 'provider' },
  { dim: 'api', field: 'api' },
  { dim: 'user', field: 'endUser' },
  { dim: 'tag', field: 'tag' },
];

export interface UsageFilterInput {
  from?: string;
  to?: string;
  granularity: 'hour' | 'day';
  team?: string;
  key?: string;
  model?: string;
  provider?: string;
  api?: string;
  user?: string;
  tag?: string;
  groupBy?: string;
}

/** Query-string input → a store query. Defaults: the last 7 days. 400 when `from` is not before `to`. */
export function toUsageQuery(q: UsageFilterInput, now = Date.now()): UsageQuery {
  const to = q.to !== undefined ? parseTime(q.to) : now;
  const from = q.from !== undefined ? parseTime(q.from) : to - 7 * DAY;
  if (!(from < to)) throw new GatewayError('invalid_request', "'from' must be before 'to'.", { param: 'from' });
  const groupBy = q.groupBy ? ([...new Set(q.groupBy.split(','))] as UsageDimension[]) : [];
  return { from, to, granularity: q.granularity, teamId: q.team, keyId: q.key, model: q.model, provider: q.provider, api: q.api, endUser: q.user, tag: q.tag, groupBy };
}

export function presentUsageRow(r: UsageRow) {
  const out: Record<string, string | number> = { bucket: new Date(r.bucket).toISOString() };
  for (const { dim, field } of DIMENSIONS) if (r[field] !== undefined) out[dim] = r[field]!;
  for (const m of USAGE_METRICS) out[m] = r[m];
  out.totalTokens = r.promptTokens + r.completionTokens;
  out.costUsd = microsToUsd(r.costMicros);
  out.savedUsd = microsToUsd(r.savedMicros);
  return out;
}

/** RFC 4180 CSV with a header row; the grouped dimensions become columns after `bucket`. */
export function usageCsv(rows: UsageRow[], groupBy: UsageDimension[]): string {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d.dim));
  const header = ['bucket', ...dims.map((d) => d.dim), ...USAGE_METRICS, 'totalTokens', 'costUsd', 'savedUsd'];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        new Date(r.bucket).toISOString(),
        ...dims.map((d) => csvField(r[d.field] ?? '')),
        ...USAGE_METRICS.map((m) => String(r[m])),
        String(r.promptTokens + r.completionTokens),
        microsToUsd(r.costMicros),
        microsToUsd(r.savedMicros),
      ].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

function csvField(v: string): string {
  // Quote when needed; a leading = + - @ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
