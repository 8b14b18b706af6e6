/**
 * Budgets of the embedded store. The embedded store serves one gateway process (sqlite/process-lock.ts refuses a
 * second), so this process's memory is the authority: every check-and-update is a few Map operations, atomic
 * because nothing yields in between.
 *
 * - **Spend** (and the soft-threshold flags) is durable: SQLite is written behind, one transaction per
 *   `WRITE_BEHIND_MS` with the absolute values of the counters that changed. A crash loses at most that window's
 *   settlements — the same kind of loss as a crash between a provider's answer and its settlement; a graceful
 *   shutdown flushes.
 * - **Holds** are the in-flight requests of this process and live only in memory: when the process ends, so do
 *   its requests (a graceful shutdown settles them first), so a restart starts with nothing held instead of
 *   blocking budgets with the holds of dead requests until their leases run out.
 * - **Exactly once**: a settle removes the reservation, so a repeat is a no-op; expired reservations are kept for
 *   `retentionMs`, so a late settle of an expired hold still counts once.
 *
 * Why: two SQLite transactions per request (reserve + settle) cost ~150 µs of CPU, more than the rest of the
 * budget logic; written behind, one short transaction serves every request settled in the window (one per
 * event-loop turn still cost ~3 % of a request's CPU at 1,000 req/s). The Redis store keeps everything in
 * Redis (several replicas); both pass one contract suite (test/state/state-store.contract.ts).
 */
import type { Database } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
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

interface Counter extends CounterValues {
  softUsd: boolean;
  softTok: boolean;
  /** Last time an operation used it, for dropping idle counters from memory. */
  usedAt: number;
}

interface Reservation {
  id: string;
  /** a = active (holding), e = expired (hold released, a late settle still counts). */
  status: 'a' | 'e';
  hm: number;
  ht: number;
  leaseMs: number;
  expiresAt: number;
  plans: readonly CounterPlan[];
}

/**
 * Settled request ids remembered, at most (oldest forgotten first). A repeated settle needs none of them (the
 * reservation is gone, so it is a no-op anyway); they keep a late repeated `reserve` of a finished request from
 * holding again, which only a confused caller does within seconds. Bounded, so memory stays flat under load.
 */
const MAX_SETTLED = 10_000;
/** Counters with no hold and unused this long are dropped from memory (SQLite keeps them). */
const IDLE_COUNTER_MS = 10 * 60_000;
/** Spend is written at most this long after it was settled. */
export const WRITE_BEHIND_MS = 20;
const RETRY_FLUSH_MS = 250;

export function createSqliteBudgets(db: Database, retentionMs: number) {
  const s = {
    counter: db.prepare<[string], { sm: number; st: number; soft_usd: number; soft_tok: number }>(
      'SELECT sm, st, soft_usd, soft_tok FROM budget_counters WHERE id = ?',
    ),
    putCounter: db.prepare(
      `INSERT INTO budget_counters (id, sm, st, soft_usd, soft_tok) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET sm = excluded.sm, st = excluded.st, soft_usd = excluded.soft_usd, soft_tok = excluded.soft_tok`,
    ),
  };

  const counters = new Map<string, Counter>();
  /** Active and expired reservations. */
  const reservations = new Map<string, Reservation>();
  /** Settled request id → when. lru-cache: a Map trimmed from its front walks ever more holes on each trim. */
  const settled = new LRUCache<string, number>({ max: MAX_SETTLED });
  let nextExpiry = Infinity;

  const counterOf = (id: string, now: number): Counter => {
    let c = counters.get(id);
    if (!c) {
      const row = s.counter.get(id);
      c = { sm: row?.sm ?? 0, st: row?.st ?? 0, rm: 0, rt: 0, softUsd: row?.soft_usd === 1, softTok: row?.soft_tok === 1, usedAt: now };
      counters.set(id, c);
    }
    c.usedAt = now;
    return c;
  };
  const values = (plans: readonly CounterPlan[], now: number): Counter[] => plans.map((p) => counterOf(p.id, now));
  const hold = (plans: readonly CounterPlan[], m: number, t: number, now: number) => {
    for (const p of plans) {
      const c = counterOf(p.id, now);
      c.rm += m;
      c.rt += t;
    }
  };

  // ── write-behind of spend ──
  const dirty = new Set<string>();
  let scheduled = false;
  let failing = false;

  const write = db.transaction(() => {
    for (const id of dirty) {
      const c = counters.get(id)!;
      s.putCounter.run(id, c.sm, c.st, c.softUsd ? 1 : 0, c.softTok ? 1 : 0);
    }
  });
  /** Writes every changed counter in one transaction; throws (and keeps them queued) when SQLite cannot. */
  const flush = () => {
    if (dirty.size === 0) return;
    write.immediate();
    dirty.clear();
    failing = false;
  };
  const flushLater = () => {
    scheduled = false;
    try {
      flush();
    } catch {
      // Memory stays the authority and the queue is kept. Until SQLite answers, every operation retries first
      // and surfaces the error (`ready`), so the caller's fail-closed / fail-open policy applies.
      failing = true;
      schedule(RETRY_FLUSH_MS);
    }
  };
  const schedule = (delayMs = WRITE_BEHIND_MS) => {
    if (scheduled) return;
    scheduled = true;
    // Kept referenced, so a process that ends without close() still writes; only the retry loop may be dropped.
    const t = setTimeout(flushLater, delayMs);
    if (delayMs === RETRY_FLUSH_MS) t.unref();
  };
  const ready = () => {
    if (failing) flush();
  };

  /** Releases holds whose lease ran out (O(reservations), only once the earliest lease may have run out). */
  const sweep = (now: number) => {
    if (now < nextExpiry) return;
    nextExpiry = Infinity;
    for (const r of reservations.values()) {
      if (r.status === 'a' && r.expiresAt <= now) {
        hold(r.plans, -r.hm, -r.ht, now);
        r.status = 'e';
      }
      if (r.status === 'e' && r.expiresAt <= now - retentionMs) reservations.delete(r.id);
      else nextExpiry = Math.min(nextExpiry, r.status === 'a' ? r.expiresAt : r.expiresAt + retentionMs);
    }
    for (const [id, c] of counters) if (c.rm === 0 && c.rt === 0 && !dirty.has(id) && now - c.usedAt > IDLE_COUNTER_MS) counters.delete(id);
  };
  const renew = (r: Reservation, now: number) => {
    r.status = 'a';
    r.expiresAt = now + r.leaseMs;
    nextExpiry = Math.min(nextExpiry, r.expiresAt);
  };

  const reserve = (input: ReserveInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    // Idempotent: the same request reserving twice holds once.
    const existing = reservations.get(input.requestId);
    if (existing) return { ok: true, remaining: remainingOf(existing.plans, values(existing.plans, now)) };
    const plans = planCounters(input.scopes, now);
    const settledAt = settled.get(input.requestId);
    if (settledAt !== undefined && settledAt > now - retentionMs) return { ok: true, remaining: remainingOf(plans, values(plans, now)) };
    const denial = findDenial(plans, values(plans, now), input.costMicros, input.tokens);
    if (denial) return denial;
    hold(plans, input.costMicros, input.tokens, now);
    const r: Reservation = { id: input.requestId, status: 'a', hm: input.costMicros, ht: input.tokens, leaseMs: input.leaseMs, expiresAt: 0, plans };
    renew(r, now);
    reservations.set(r.id, r);
    return { ok: true, remaining: remainingOf(plans, values(plans, now)) };
  };

  const extend = (input: ExtendInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = reservations.get(input.requestId);
    if (!r) throw new UnknownReservationError(input.requestId);
    // An expired reservation lost its hold: re-acquire all of it, or nothing.
    const addM = input.costMicros + (r.status === 'e' ? r.hm : 0);
    const addT = input.tokens + (r.status === 'e' ? r.ht : 0);
    // Holding nothing more (a live request renewing its lease) cannot exceed anything; an exhausted budget
    // refuses a zero *reserve*, but must not make a running request lose the hold it has.
    const denial = addM === 0 && addT === 0 ? undefined : findDenial(r.plans, values(r.plans, now), addM, addT);
    if (denial) return denial;
    hold(r.plans, addM, addT, now);
    r.hm += input.costMicros;
    r.ht += input.tokens;
    if (input.leaseMs !== undefined) r.leaseMs = input.leaseMs;
    renew(r, now);
    return { ok: true, remaining: remainingOf(r.plans, values(r.plans, now)) };
  };

  const settle = (input: SettleInput): SettleResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = reservations.get(input.requestId);
    if (!r) return { settled: false, crossedSoft: [] };
    if (r.status === 'a') hold(r.plans, -r.hm, -r.ht, now);
    const crossedSoft: SettleResult['crossedSoft'] = [];
    for (const p of r.plans) {
      const c = counterOf(p.id, now);
      c.sm += input.costMicros;
      c.st += input.tokens;
      for (const kind of softCrossings(p, c, { usd: c.softUsd, tok: c.softTok })) {
        if (kind === 'usd') c.softUsd = true;
        else c.softTok = true;
        crossedSoft.push({ scope: p.scope, period: p.period, kind });
      }
      dirty.add(p.id);
    }
    reservations.delete(r.id);
    settled.set(r.id, now);
    schedule();
    return { settled: true, crossedSoft };
  };

  const status = (scopes: ScopeBudgets[], now: number): BudgetStatus[] => {
    sweep(now);
    const plans = planCounters(scopes, now);
    return statusOf(plans, values(plans, now));
  };

  return {
    reserve: (i: ReserveInput) => {
      assertAmounts('reserve', { costMicros: i.costMicros, tokens: i.tokens, leaseMs: i.leaseMs });
      ready();
      return reserve(i);
    },
    extend: (i: ExtendInput) => {
      assertAmounts('extend', { costMicros: i.costMicros, tokens: i.tokens, leaseMs: i.leaseMs });
      ready();
      return extend(i);
    },
    settle: (i: SettleInput) => {
      assertAmounts('settle', { costMicros: i.costMicros, tokens: i.tokens });
      ready();
      return settle(i);
    },
    status: (scopes: ScopeBudgets[], now: number) => {
      ready();
      return status(scopes, now);
    },
    /** Writes the spend queued now (at close). Throws when SQLite cannot. */
    flush,
  };
}
