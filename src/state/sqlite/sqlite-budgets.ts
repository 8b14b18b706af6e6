/**
 * Budget reservations in SQLite. Every operation is one IMMEDIATE transaction, so it is atomic against other
 * calls in this process (better-sqlite3 is synchronous) and against other processes sharing the file (WAL +
 * write lock). The semantics mirror the Redis Lua scripts line for line.
 */
import type { Database } from 'better-sqlite3';
import {
  assertAmounts,
  findDenial,
  planCounters,
  remainingOf,
  softCrossings,
  statusOf,
  type CounterPlan,
  type CounterValues,
} from '../budget-plan.js';
import { UnknownReservationError } from '../errors.js';
import type { BudgetStatus, ExtendInput, ReserveInput, ReserveResult, ScopeBudgets, SettleInput, SettleResult } from '../types.js';

interface ReservationRow {
  request_id: string;
  status: 'a' | 'e' | 's';
  hm: number;
  ht: number;
  lease_ms: number;
  expires_at: number;
  plan: string;
}

export function createSqliteBudgets(db: Database, retentionMs: number) {
  const s = {
    counter: db.prepare<[string], CounterValues & { soft_usd: number; soft_tok: number }>(
      'SELECT sm, st, rm, rt, soft_usd, soft_tok FROM budget_counters WHERE id = ?',
    ),
    hold: db.prepare(
      `INSERT INTO budget_counters (id, rm, rt) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET rm = rm + excluded.rm, rt = rt + excluded.rt`,
    ),
    spend: db.prepare(
      `INSERT INTO budget_counters (id, sm, st) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET sm = sm + excluded.sm, st = st + excluded.st`,
    ),
    markSoft: db.prepare('UPDATE budget_counters SET soft_usd = max(soft_usd, ?), soft_tok = max(soft_tok, ?) WHERE id = ?'),
    reservation: db.prepare<[string], ReservationRow>('SELECT * FROM reservations WHERE request_id = ?'),
    insertReservation: db.prepare(
      'INSERT INTO reservations (request_id, status, hm, ht, lease_ms, expires_at, plan, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    updateReservation: db.prepare(
      'UPDATE reservations SET status = ?, hm = ?, ht = ?, expires_at = ?, updated_at = ? WHERE request_id = ?',
    ),
    expired: db.prepare<[number], ReservationRow>(
      "SELECT * FROM reservations WHERE status = 'a' AND expires_at <= ? ORDER BY expires_at LIMIT 500",
    ),
    prune: db.prepare("DELETE FROM reservations WHERE status != 'a' AND updated_at < ?"),
  };

  const values = (plans: CounterPlan[]): CounterValues[] =>
    plans.map((p) => s.counter.get(p.id) ?? { sm: 0, st: 0, rm: 0, rt: 0 });

  const release = (r: ReservationRow) => {
    for (const p of JSON.parse(r.plan) as CounterPlan[]) s.hold.run(p.id, -r.hm, -r.ht);
  };

  let lastPrune = 0;
  /** Releases the holds of reservations whose lease ran out; drops finished ones past the retention. */
  const sweep = (now: number) => {
    for (const r of s.expired.all(now)) {
      release(r);
      s.updateReservation.run('e', r.hm, r.ht, r.expires_at, now, r.request_id);
    }
    if (now - lastPrune > 60_000 || now < lastPrune) {
      lastPrune = now;
      s.prune.run(now - retentionMs);
    }
  };

  const reserve = db.transaction((input: ReserveInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const existing = s.reservation.get(input.requestId);
    if (existing) {
      // Idempotent: the same request reserving twice holds once.
      const plans = JSON.parse(existing.plan) as CounterPlan[];
      return { ok: true, remaining: remainingOf(plans, values(plans)) };
    }
    const plans = planCounters(input.scopes, now);
    const denial = findDenial(plans, values(plans), input.costMicros, input.tokens);
    if (denial) return denial;
    for (const p of plans) s.hold.run(p.id, input.costMicros, input.tokens);
    s.insertReservation.run(
      input.requestId, 'a', input.costMicros, input.tokens, input.leaseMs, now + input.leaseMs, JSON.stringify(plans), now,
    );
    return { ok: true, remaining: remainingOf(plans, values(plans)) };
  });

  const extend = db.transaction((input: ExtendInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = s.reservation.get(input.requestId);
    if (!r || r.status === 's') throw new UnknownReservationError(input.requestId);
    const plans = JSON.parse(r.plan) as CounterPlan[];
    // An expired reservation lost its hold: re-acquire all of it, or nothing.
    const addM = input.costMicros + (r.status === 'e' ? r.hm : 0);
    const addT = input.tokens + (r.status === 'e' ? r.ht : 0);
    const denial = findDenial(plans, values(plans), addM, addT);
    if (denial) return denial;
    for (const p of plans) s.hold.run(p.id, addM, addT);
    const lease = input.leaseMs ?? r.lease_ms;
    s.updateReservation.run('a', r.hm + input.costMicros, r.ht + input.tokens, now + lease, now, r.request_id);
    return { ok: true, remaining: remainingOf(plans, values(plans)) };
  });

  const settle = db.transaction((input: SettleInput): SettleResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = s.reservation.get(input.requestId);
    if (!r || r.status === 's') return { settled: false, crossedSoft: [] };
    if (r.status === 'a') release(r);
    const plans = JSON.parse(r.plan) as CounterPlan[];
    const crossedSoft: SettleResult['crossedSoft'] = [];
    for (const p of plans) {
      s.spend.run(p.id, input.costMicros, input.tokens);
      const v = s.counter.get(p.id)!;
      const kinds = softCrossings(p, v, { usd: v.soft_usd === 1, tok: v.soft_tok === 1 });
      if (kinds.length) {
        s.markSoft.run(kinds.includes('usd') ? 1 : 0, kinds.includes('tokens') ? 1 : 0, p.id);
        for (const kind of kinds) crossedSoft.push({ scope: p.scope, period: p.period, kind });
      }
    }
    s.updateReservation.run('s', r.hm, r.ht, r.expires_at, now, r.request_id);
    return { settled: true, crossedSoft };
  });

  const status = db.transaction((scopes: ScopeBudgets[], now: number): BudgetStatus[] => {
    sweep(now);
    const plans = planCounters(scopes, now);
    return statusOf(plans, values(plans));
  });

  return {
    reserve: (i: ReserveInput) => {
      assertAmounts('reserve', { costMicros: i.costMicros, tokens: i.tokens, leaseMs: i.leaseMs });
      return reserve.immediate(i);
    },
    extend: (i: ExtendInput) => {
      assertAmounts('extend', { costMicros: i.costMicros, tokens: i.tokens, leaseMs: i.leaseMs });
      return extend.immediate(i);
    },
    settle: (i: SettleInput) => {
      assertAmounts('settle', { costMicros: i.costMicros, tokens: i.tokens });
      return settle.immediate(i);
    },
    status: (scopes: ScopeBudgets[], now: number) => status.immediate(scopes, now),
  };
}
