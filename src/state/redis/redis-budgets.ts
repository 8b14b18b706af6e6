/** Budget reservations on Redis: plans are computed here, every check-and-update runs in one Lua script. */
import { LRUCache } from 'lru-cache';
import { assertAmounts, planCounters, remainingOf, statusOf, teamOfScopes, type CounterPlan, type CounterValues } from '../budget-plan.js';
import { UnknownReservationError } from '../errors.js';
import type {
  BudgetDenied,
  BudgetKind,
  ExtendInput,
  ReserveInput,
  ReserveResult,
  ScopeBudgets,
  SettleInput,
  SettleResult,
} from '../types.js';
import { EXTEND, RESERVE, SETTLE, STATUS } from './lua-budgets.js';
import { createScript, type RedisLike } from './redis-client.js';
import type { RedisKeys } from './redis-keys.js';

/** Counters stay readable this long after their period ended (dashboards show last period). */
const COUNTER_GRACE_MS = 40 * 86_400_000;

type RedisPlan = CounterPlan & { k: string; x?: number };

export function createRedisBudgets(
  client: RedisLike,
  k: RedisKeys,
  retentionMs: number,
  keyTeam: (keyId: string) => Promise<string | undefined>,
) {
  const scripts = {
    reserve: createScript(client, RESERVE),
    extend: createScript(client, EXTEND),
    settle: createScript(client, SETTLE),
    status: createScript(client, STATUS),
  };
  // requestId → team, for extend/settle calls that do not name the team (the reserving process settles).
  const teamOfRequest = new LRUCache<string, string>({ max: 100_000 });

  const resolveTeam = async (scopes: ScopeBudgets[], teamId?: string): Promise<string> => {
    const t = teamId ?? teamOfScopes(scopes);
    if (t !== undefined) return t;
    const keyScope = scopes.find((s) => s.scope.startsWith('key:'));
    const found = keyScope && (await keyTeam(keyScope.scope.slice(4)));
    if (found === undefined) throw new TypeError('reserve: cannot tell the team of these scopes; pass teamId');
    return found;
  };
  const teamOf = (requestId: string, teamId?: string): string => {
    const t = teamId ?? teamOfRequest.get(requestId);
    if (t === undefined) throw new TypeError(`request ${requestId}: pass teamId (reserved by another process)`);
    return t;
  };

  const plansFor = (team: string, scopes: ScopeBudgets[], now: number): RedisPlan[] =>
    planCounters(scopes, now).map((p) => ({
      ...p,
      k: k.counter(team, p.id),
      ...(p.resetsAt !== null ? { x: Math.max(60_000, p.resetsAt + COUNTER_GRACE_MS - now) } : {}),
    }));

  const values = (flat: unknown[], from: number, n: number): CounterValues[] =>
    Array.from({ length: n }, (_, i) => {
      const o = from + i * 4;
      return { sm: Number(flat[o]), st: Number(flat[o + 1]), rm: Number(flat[o + 2]), rt: Number(flat[o + 3]) };
    });

  /** Decodes {code, planJson, ...} answers of RESERVE and EXTEND. */
  const decode = (r: unknown[], fallback: RedisPlan[]): ReserveResult => {
    const plans = r[1] ? (JSON.parse(String(r[1])) as RedisPlan[]) : fallback;
    if (Number(r[0]) === 1) return { ok: true, remaining: remainingOf(plans, values(r, 2, plans.length)) };
    const p = plans[Number(r[2])]!;
    const kind = String(r[3]) as BudgetKind;
    const denied: BudgetDenied = { ok: false, scope: p.scope, period: p.period, kind, limit: (kind === 'usd' ? p.usd : p.tok)!, resetsAt: p.resetsAt };
    return denied;
  };

  return {
    async reserve(input: ReserveInput): Promise<ReserveResult> {
      assertAmounts('reserve', { costMicros: input.costMicros, tokens: input.tokens, leaseMs: input.leaseMs });
      const now = input.now ?? Date.now();
      const team = await resolveTeam(input.scopes, input.teamId);
      const plans = plansFor(team, input.scopes, now);
      const r = (await scripts.reserve.run(
        [k.leases(team), k.reservation(team, input.requestId)],
        [k.reservationPrefix(team), now, JSON.stringify(plans), input.costMicros, input.tokens, input.leaseMs, retentionMs, input.requestId],
      )) as unknown[];
      const result = decode(r, plans);
      if (result.ok) {
        // Bounded: entries of requests that were never settled (lease expired) must not grow without limit.
        teamOfRequest.set(input.requestId, team);
      }
      return result;
    },
    async extend(input: ExtendInput): Promise<ReserveResult> {
      assertAmounts('extend', { costMicros: input.costMicros, tokens: input.tokens, leaseMs: input.leaseMs });
      const now = input.now ?? Date.now();
      const team = teamOf(input.requestId, input.teamId);
      const r = (await scripts.extend.run(
        [k.leases(team), k.reservation(team, input.requestId)],
        [k.reservationPrefix(team), now, input.costMicros, input.tokens, input.leaseMs ?? -1, retentionMs, input.requestId],
      )) as unknown[];
      if (Number(r[0]) === -1) throw new UnknownReservationError(input.requestId);
      return decode(r, []);
    },
    async settle(input: SettleInput): Promise<SettleResult> {
      assertAmounts('settle', { costMicros: input.costMicros, tokens: input.tokens });
      const now = input.now ?? Date.now();
      const team = input.teamId ?? teamOfRequest.get(input.requestId);
      if (team === undefined) return { settled: false, crossedSoft: [] };
      const r = (await scripts.settle.run(
        [k.leases(team), k.reservation(team, input.requestId)],
        [k.reservationPrefix(team), now, input.costMicros, input.tokens, retentionMs, input.requestId],
      )) as unknown[];
      teamOfRequest.delete(input.requestId);
      if (Number(r[0]) !== 1) return { settled: false, crossedSoft: [] };
      const crossedSoft: SettleResult['crossedSoft'] = [];
      if (r.length > 1) {
        const reservation = await client.hget(k.reservation(team, input.requestId), 'plan');
        const plans = JSON.parse(reservation ?? '[]') as RedisPlan[];
        for (let i = 1; i < r.length; i += 2) {
          const p = plans[Number(r[i])];
          if (p) crossedSoft.push({ scope: p.scope, period: p.period, kind: String(r[i + 1]) as BudgetKind });
        }
      }
      return { settled: true, crossedSoft };
    },
    async status(scopes: ScopeBudgets[], opts: { teamId?: string; now?: number } = {}) {
      const now = opts.now ?? Date.now();
      const team = await resolveTeam(scopes, opts.teamId);
      const plans = plansFor(team, scopes, now);
      const r = (await scripts.status.run([k.leases(team)], [k.reservationPrefix(team), now, JSON.stringify(plans)])) as unknown[];
      return statusOf(plans, values(r, 2, plans.length));
    },
  };
}
