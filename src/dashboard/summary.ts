/**
 * The dashboard's figures for one team (or all teams), built from the usage ledger, the budget counters and
 * this process's latency histogram. Read-only; a handful of store queries per call (never on the hot path).
 */
import { presentBudgetStatus } from '../admin/present.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LatencySummary } from '../metrics/latency-reader.js';
import type { ApiKey, StateStore, Team, UsageRow } from '../state/state-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SummaryOptions {
  /** Undefined = all teams (admin). */
  teamId?: string;
  /** One key of the team (its spend only; budgets: the key's own and its team's). */
  keyId?: string;
  /** The last `days` days up to now (hourly buckets up to 2 days, daily beyond)... */
  days?: number;
  /** ...or an explicit range of whole UTC days: `from` inclusive, `to` exclusive (epoch ms at 00:00 UTC). */
  from?: number;
  to?: number;
  now?: number;
  /** Maps a usage-ledger model name to the name shown (e.g. `anthropic/claude-haiku-4-5` → `claude-haiku-4-5`). */
  modelName?: (name: string) => string;
}

/** Ranges up to this long are drawn in hours; longer ones in UTC days (hourly spikes over a week are unreadable). */
export const HOURLY_UP_TO_MS = 2 * DAY;
/** What the ledger records for a request refused before it had a model (invalid body, unknown model). */
const NO_MODEL = '(unknown)';
export const REFUSED_MODEL = '(refused before a model)';

interface Totals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from the provider's prompt cache (a subset of promptTokens, as in the usage ledger). */
  cachedTokens: number;
  costMicros: number;
  cacheHits: number;
  savedMicros: number;
  errors: number;
  guardBlocks: number;
}

const FIELDS = ['requests', 'promptTokens', 'completionTokens', 'cachedTokens', 'costMicros', 'cacheHits', 'savedMicros', 'errors', 'guardBlocks'] as const;
const zero = (): Totals => ({ requests: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, costMicros: 0, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 });
function add(t: Totals, r: UsageRow) {
  for (const k of FIELDS) t[k] += r[k];
}

/** Series aligned on `buckets`: name → values (one per bucket, 0 where nothing was recorded). */
type Series = Record<string, number[]>;

/** Series drawn per chart; the rest are summed into one `(others)` series (a legend of 500 teams is unreadable). */
export const MAX_CHART_SERIES = 9;
/** Not a valid team id (letters, digits, `_ . -`) nor a catalog model name in practice. */
export const OTHERS_SERIES = '(others)';

export async function buildSummary(store: StateStore, metrics: Metrics, opts: SummaryOptions) {
  const now = opts.now ?? Date.now();
  const span = opts.from !== undefined && opts.to !== undefined ? opts.to - opts.from : (opts.days ?? 7) * DAY;
  const granularity = span <= HOURLY_UP_TO_MS ? 'hour' : 'day';
  const step = granularity === 'hour' ? HOUR : DAY;
  const to = opts.to ?? Math.floor(now / step) * step + step;
  const from = opts.from ?? to - Math.ceil(span / step) * step;
  const modelName = (m: string) => (m === NO_MODEL ? REFUSED_MODEL : (opts.modelName?.(m) ?? m));
  const buckets: number[] = [];
  for (let b = from; b < to; b += step) buckets.push(b);
  const index = new Map(buckets.map((b, i) => [b, i]));

  const [rows, keyRows, teams, keys, latency, providerRows, apiRows, userRows, tagRows] = await Promise.all([
    store.queryUsage({ from, to, granularity, teamId: opts.teamId, keyId: opts.keyId, groupBy: ['team', 'model'] }),
    store.queryUsage({ from, to, granularity: 'day', teamId: opts.teamId, keyId: opts.keyId, groupBy: ['team', 'key'] }),
    opts.teamId ? store.getTeam(opts.teamId).then((t) => (t ? [t] : [])) : store.listTeams(),
    store.listKeys(opts.teamId),
    metrics.latency(opts.teamId),
    store.queryUsage({ from, to, granularity: 'day', teamId: opts.teamId, keyId: opts.keyId, groupBy: ['provider'] }),
    store.queryUsage({ from, to, granularity: 'day', teamId: opts.teamId, keyId: opts.keyId, groupBy: ['api'] }),
    store.queryUsage({ from, to, granularity: 'day', teamId: opts.teamId, keyId: opts.keyId, groupBy: ['user'] }),
    store.queryUsage({ from, to, granularity: 'day', teamId: opts.teamId, keyId: opts.keyId, groupBy: ['tag'] }),
  ]);

  const inView = opts.keyId ? keys.filter((k) => k.id === opts.keyId) : keys;
  const totals = zero();
  // Null-prototype: team ids such as `__proto__` or `constructor` are valid, and must be plain keys here (on `{}`
  // they would hit Object.prototype: the series lost, and the prototype of every object written to).
  const spendByTeam: Series = Object.create(null);
  const spendByModel: Series = Object.create(null);
  const tokensByModel: Series = Object.create(null);
  const byModel = new Map<string, Totals>();
  const series = (s: Series, name: string) => (s[name] ??= new Array(buckets.length).fill(0));
  for (const r of rows) {
    add(totals, r);
    const i = index.get(r.bucket);
    if (i === undefined) continue;
    // One row per model whatever the name a client used for it (`provider/model` and the public name).
    const model = modelName(r.model!);
    series(spendByTeam, r.teamId!)[i] += r.costMicros;
    series(spendByModel, model)[i] += r.costMicros;
    series(tokensByModel, model)[i] += r.promptTokens + r.completionTokens;
    const m = byModel.get(model) ?? zero();
    add(m, r);
    byModel.set(model, m);
  }

  return {
    team: opts.teamId ?? null,
    key: opts.keyId ?? null,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    granularity,
    buckets,
    totals: { ...totals, totalTokens: totals.promptTokens + totals.completionTokens },
    rates: {
      cacheHitRate: totals.requests ? totals.cacheHits / totals.requests : null,
      errorRate: totals.requests ? totals.errors / totals.requests : null,
    },
    charts: { spendByTeam: topSeries(spendByTeam), spendByModel: topSeries(spendByModel), tokensByModel: topSeries(tokensByModel) },
    models: [...byModel.entries()]
      .map(([model, t]) => ({ model, ...t, totalTokens: t.promptTokens + t.completionTokens }))
      .sort((a, b) => b.costMicros - a.costMicros),
    topKeys: topKeys(keyRows, keys, opts.teamId ? 100 : 10),
    budgets: await budgetRows(store, teams, inView, now),
    // The keys in view, for the key picker (a team's; every team's is too many for a list).
    keys: opts.teamId ? keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, revoked: k.revokedAt !== undefined && k.revokedAt <= now })) : [],
    latency: latencyBlock(latency),
    refusals: refusalsByCause(providerRows),
    // The API requests came in through (chat, responses, messages, embeddings), and the end users clients named.
    apis: totalsBy(apiRows, (r) => r.api ?? 'chat').map(([api, t]) => ({ api, ...t, totalTokens: t.promptTokens + t.completionTokens })),
    endUsers: totalsBy(userRows.filter((r) => r.endUser), (r) => r.endUser!)
      .slice(0, MAX_END_USERS)
      .map(([user, t]) => ({ user, ...t, totalTokens: t.promptTokens + t.completionTokens })),
    // The value of each request's metadata[state.usageTag] (e.g. a project), when the gateway records one.
    tags: totalsBy(tagRows.filter((r) => r.tag), (r) => r.tag!)
      .slice(0, MAX_END_USERS)
      .map(([tag, t]) => ({ tag, ...t, totalTokens: t.promptTokens + t.completionTokens })),
  };
}

/** End users and tags listed (dearest first); the usage API has them all (`groupBy=user`, `groupBy=tag`). */
const MAX_END_USERS = 50;

/** Sums rows per name (over the range's buckets), dearest first. */
function totalsBy(rows: UsageRow[], name: (r: UsageRow) => string): [string, Totals][] {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    const n = name(r);
    const t = out.get(n) ?? zero();
    add(t, r);
    out.set(n, t);
  }
  return [...out.entries()].sort((a, b) => b[1].costMicros - a[1].costMicros || b[1].requests - a[1].requests);
}

const REFUSED = /^\(refused: ([a-z_]+)\)$/;

/**
 * Requests that got no answer, by cause: refused before any provider (the ledger records those under
 * `(refused: <code>)`: budget_exceeded, rate_limit_exceeded, a guard's code…) and failed at a provider
 * (`provider_error` with the provider named). Largest first.
 */
function refusalsByCause(rows: UsageRow[]) {
  const causes = new Map<string, { cause: string; provider: string | null; requests: number }>();
  const add = (cause: string, provider: string | null, n: number) => {
    const k = `${cause}\u0000${provider ?? ''}`;
    const c = causes.get(k) ?? { cause, provider, requests: 0 };
    c.requests += n;
    causes.set(k, c);
  };
  for (const r of rows) {
    const refused = REFUSED.exec(r.provider ?? '');
    if (refused) add(refused[1], null, r.requests);
    else if (r.errors > 0 && r.provider !== '(none)') add('provider_error', r.provider!, r.errors);
    else if (r.errors > 0) add('other', null, r.errors);
  }
  return [...causes.values()].sort((a, b) => b.requests - a.requests || a.cause.localeCompare(b.cause));
}

/** The `MAX_CHART_SERIES` largest series by total, the rest summed into `(others)` (totals are kept). */
function topSeries(s: Series): Series {
  const ranked = Object.entries(s)
    .map(([name, values]) => ({ name, values, total: values.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  if (ranked.length <= MAX_CHART_SERIES) return s;
  const out: Series = Object.create(null);
  for (const r of ranked.slice(0, MAX_CHART_SERIES - 1)) out[r.name] = r.values;
  const others = (out[OTHERS_SERIES] = new Array<number>(ranked[0].values.length).fill(0));
  for (const r of ranked.slice(MAX_CHART_SERIES - 1)) r.values.forEach((v, i) => (others[i] += v));
  return out;
}

/** Keys by spend: the 10 largest across teams, or up to 100 of one team (a team sees every key it uses). */
function topKeys(rows: UsageRow[], keys: ApiKey[], limit: number) {
  const byId = new Map(keys.map((k) => [k.id, k]));
  const sums = new Map<string, Totals & { teamId: string }>();
  for (const r of rows) {
    const t = sums.get(r.keyId!) ?? { ...zero(), teamId: r.teamId! };
    add(t, r);
    sums.set(r.keyId!, t);
  }
  return [...sums.entries()]
    .sort((a, b) => b[1].costMicros - a[1].costMicros || b[1].requests - a[1].requests)
    .slice(0, limit)
    .map(([id, t]) => ({
      id,
      name: byId.get(id)?.name ?? id,
      prefix: byId.get(id)?.prefix ?? '',
      team: t.teamId,
      requests: t.requests,
      totalTokens: t.promptTokens + t.completionTokens,
      costMicros: t.costMicros,
    }));
}

/** Every budget of the teams in view and of their keys that have their own. */
async function budgetRows(store: StateStore, teams: Team[], keys: ApiKey[], now: number) {
  const out: (ReturnType<typeof presentBudgetStatus> & { team: string; name: string })[] = [];
  const live = keys.filter((k) => k.budgets.length > 0 && (k.revokedAt === undefined || k.revokedAt > now));
  await Promise.all(
    teams.map(async (team) => {
      const scopes = [
        ...(team.budgets.length ? [{ scope: `team:${team.id}` as const, budgets: team.budgets }] : []),
        ...live.filter((k) => k.teamId === team.id).map((k) => ({ scope: `key:${k.id}` as const, budgets: k.budgets })),
      ];
      if (!scopes.length) return;
      const names = new Map<string, string>([[`team:${team.id}`, team.name], ...live.map((k) => [`key:${k.id}`, k.name] as [string, string])]);
      for (const s of await store.getBudgetStatus(scopes, { teamId: team.id, now })) {
        out.push({ ...presentBudgetStatus(s), team: team.id, name: names.get(s.scope) ?? s.scope });
      }
    }),
  );
  return out.sort((a, b) => a.team.localeCompare(b.team) || a.scope.localeCompare(b.scope) || a.period.localeCompare(b.period));
}

function latencyBlock(l: LatencySummary) {
  return { source: 'metrics histogram of this gateway process since start', ...l };
}
