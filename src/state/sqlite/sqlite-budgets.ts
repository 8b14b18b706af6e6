/**
 * Budget reservations of the embedded store. The embedded store serves one gateway process (a lock file in the
 * data directory enforces it, see process-lock.ts), so this process's memory is the authority: counters and
 * active reservations live in Maps and every check-and-update is a few Map operations, atomic because nothing
 * yields in between. SQLite is the durable copy, written behind: every change is queued and one transaction per
 * event-loop turn (setImmediate) writes the absolute values. What a crash can lose is the current turn's changes —
 * the same window as a crash between a provider's answer and its settlement, which no store can close.
 *
 * Why: two SQLite transactions per request (reserve, settle) cost ~150 µs of CPU, more than the rest of the
 * budget logic put together; one write-behind transaction per turn serves every request of that turn.
 *
 * Reopening loads active reservations eagerly and counters on first use. The semantics mirror the Redis Lua
 * scripts line for line (one contract suite, test/state/state-store.contract.ts).
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

interface Counter extends CounterValues {
  softUsd: boolean;
  softTok: boolean;
  /** Last time an operation used it, for dropping idle counters from memory. */
  usedAt: number;
}

interface Reservation {
  id: string;
  /** a = active (holding), e = expired (hold released), s = settled. */
  status: 'a' | 'e' | 's';
  hm: number;
  ht: number;
  leaseMs: number;
  expiresAt: number;
  plans: CounterPlan[];
  updatedAt: number;
}

interface ReservationRow {
  request_id: string;
  status: 'a' | 'e' | 's';
  hm: number;
  ht: number;
  lease_ms: number;
  expires_at: number;
  plan: string;
  updated_at: number;
}

const PRUNE_EVERY_MS = 60_000;
/** Counters with no hold and unused this long are dropped from memory (SQLite keeps them). */
const IDLE_COUNTER_MS = 10 * 60_000;
const RETRY_FLUSH_MS = 250;

export function createSqliteBudgets(db: Database, retentionMs: number) {
  const s = {
    counter: db.prepare<[string], CounterValues & { soft_usd: number; soft_tok: number }>(
      'SELECT sm, st, rm, rt, soft_usd, soft_tok FROM budget_counters WHERE id = ?',
    ),
    putCounter: db.prepare(
      `INSERT INTO budget_counters (id, sm, st, rm, rt, soft_usd, soft_tok) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET sm = excluded.sm, st = excluded.st, rm = excluded.rm, rt = excluded.rt,
         soft_usd = excluded.soft_usd, soft_tok = excluded.soft_tok`,
    ),
    reservation: db.prepare<[string], ReservationRow>('SELECT * FROM reservations WHERE request_id = ?'),
    active: db.prepare<[], ReservationRow>("SELECT * FROM reservations WHERE status = 'a'"),
    putReservation: db.prepare(
      'INSERT OR REPLACE INTO reservations (request_id, status, hm, ht, lease_ms, expires_at, plan, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    prune: db.prepare("DELETE FROM reservations WHERE status != 'a' AND updated_at < ?"),
  };

  const fromRow = (r: ReservationRow): Reservation => ({
    id: r.request_id,
    status: r.status,
    hm: r.hm,
    ht: r.ht,
    leaseMs: r.lease_ms,
    expiresAt: r.expires_at,
    plans: JSON.parse(r.plan) as CounterPlan[],
    updatedAt: r.updated_at,
  });

  // ── memory: the authority ──
  const counters = new Map<string, Counter>();
  /** Active reservations, plus finished ones until their last state is written. */
  const reservations = new Map<string, Reservation>();
  for (const row of s.active.all()) reservations.set(row.request_id, fromRow(row));
  let nextExpiry = Infinity;
  for (const r of reservations.values()) nextExpiry = Math.min(nextExpiry, r.expiresAt);

  const counterOf = (id: string, now: number): Counter => {
    let c = counters.get(id);
    if (!c) {
      const row = s.counter.get(id);
      c = row
        ? { sm: row.sm, st: row.st, rm: row.rm, rt: row.rt, softUsd: row.soft_usd === 1, softTok: row.soft_tok === 1, usedAt: now }
        : { sm: 0, st: 0, rm: 0, rt: 0, softUsd: false, softTok: false, usedAt: now };
      counters.set(id, c);
    }
    c.usedAt = now;
    return c;
  };
  const values = (plans: CounterPlan[], now: number): Counter[] => plans.map((p) => counterOf(p.id, now));

  /** The reservation in memory, else its durable row (a finished one, or one from before a restart). */
  const find = (id: string): Reservation | undefined => {
    const known = reservations.get(id);
    if (known) return known;
    const row = s.reservation.get(id);
    if (!row) return undefined;
    const r = fromRow(row);
    reservations.set(id, r);
    return r;
  };

  // ── write-behind ──
  const dirtyCounters = new Set<string>();
  const dirtyReservations = new Set<Reservation>();
  let scheduled = false;
  let failing: unknown;
  let lastPrune = 0;

  /** Returns true when it pruned (once a minute). */
  const write = db.transaction((now: number): boolean => {
    for (const id of dirtyCounters) {
      const c = counters.get(id)!;
      s.putCounter.run(id, c.sm, c.st, c.rm, c.rt, c.softUsd ? 1 : 0, c.softTok ? 1 : 0);
    }
    for (const r of dirtyReservations) {
      s.putReservation.run(r.id, r.status, r.hm, r.ht, r.leaseMs, r.expiresAt, JSON.stringify(r.plans), r.updatedAt);
    }
    if (now - lastPrune <= PRUNE_EVERY_MS && now >= lastPrune) return false;
    lastPrune = now;
    s.prune.run(now - retentionMs);
    return true;
  });

  /** Writes every queued change in one transaction; throws (and keeps the queue) when SQLite cannot. */
  const flushNow = () => {
    if (dirtyCounters.size === 0 && dirtyReservations.size === 0) return;
    const now = Date.now();
    const pruned = write.immediate(now);
    for (const r of dirtyReservations) if (r.status !== 'a') reservations.delete(r.id);
    dirtyCounters.clear();
    dirtyReservations.clear();
    failing = undefined;
    if (pruned) dropIdleCounters(now);
  };

  const dropIdleCounters = (now: number) => {
    for (const [id, c] of counters) if (c.rm === 0 && c.rt === 0 && now - c.usedAt > IDLE_COUNTER_MS) counters.delete(id);
  };

  const flushLater = () => {
    scheduled = false;
    try {
      flushNow();
    } catch (err) {
      // Memory stays the authority; the queue is kept and written once SQLite answers again. Until then every
      // operation retries first and surfaces the error (see `ready`), so callers apply their fail-closed policy.
      failing = err;
      schedule(RETRY_FLUSH_MS);
    }
  };
  const schedule = (delayMs = 0) => {
    if (scheduled) return;
    scheduled = true;
    if (delayMs) setTimeout(flushLater, delayMs).unref();
    else setImmediate(flushLater);
  };
  const ready = () => {
    if (failing !== undefined) flushNow();
  };
  const touchCounters = (plans: CounterPlan[]) => {
    for (const p of plans) dirtyCounters.add(p.id);
    schedule();
  };
  const touch = (r: Reservation, now: number) => {
    r.updatedAt = now;
    dirtyReservations.add(r);
    touchCounters(r.plans);
  };

  const hold = (plans: CounterPlan[], m: number, t: number, now: number) => {
    for (const p of plans) {
      const c = counterOf(p.id, now);
      c.rm += m;
      c.rt += t;
    }
  };

  /** Releases the holds of reservations whose lease ran out. O(active), and only when one may have expired. */
  const sweep = (now: number) => {
    if (now < nextExpiry) return;
    nextExpiry = Infinity;
    for (const r of reservations.values()) {
      if (r.status !== 'a') continue;
      if (r.expiresAt <= now) {
        hold(r.plans, -r.hm, -r.ht, now);
        r.status = 'e';
        touch(r, now);
      } else nextExpiry = Math.min(nextExpiry, r.expiresAt);
    }
  };

  const activate = (r: Reservation, now: number) => {
    r.status = 'a';
    r.expiresAt = now + r.leaseMs;
    nextExpiry = Math.min(nextExpiry, r.expiresAt);
  };

  const reserve = (input: ReserveInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const existing = find(input.requestId);
    // Idempotent: the same request reserving twice holds once.
    if (existing) return { ok: true, remaining: remainingOf(existing.plans, values(existing.plans, now)) };
    const plans = planCounters(input.scopes, now);
    const denial = findDenial(plans, values(plans, now), input.costMicros, input.tokens);
    if (denial) return denial;
    hold(plans, input.costMicros, input.tokens, now);
    const r: Reservation = { id: input.requestId, status: 'a', hm: input.costMicros, ht: input.tokens, leaseMs: input.leaseMs, expiresAt: 0, plans, updatedAt: now };
    activate(r, now);
    reservations.set(r.id, r);
    touch(r, now);
    return { ok: true, remaining: remainingOf(plans, values(plans, now)) };
  };

  const extend = (input: ExtendInput): ReserveResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = find(input.requestId);
    if (!r || r.status === 's') throw new UnknownReservationError(input.requestId);
    // An expired reservation lost its hold: re-acquire all of it, or nothing.
    const addM = input.costMicros + (r.status === 'e' ? r.hm : 0);
    const addT = input.tokens + (r.status === 'e' ? r.ht : 0);
    const denial = findDenial(r.plans, values(r.plans, now), addM, addT);
    if (denial) return denial;
    hold(r.plans, addM, addT, now);
    r.hm += input.costMicros;
    r.ht += input.tokens;
    if (input.leaseMs !== undefined) r.leaseMs = input.leaseMs;
    activate(r, now);
    touch(r, now);
    return { ok: true, remaining: remainingOf(r.plans, values(r.plans, now)) };
  };

  const settle = (input: SettleInput): SettleResult => {
    const now = input.now ?? Date.now();
    sweep(now);
    const r = find(input.requestId);
    if (!r || r.status === 's') return { settled: false, crossedSoft: [] };
    if (r.status === 'a') hold(r.plans, -r.hm, -r.ht, now);
    const crossedSoft: SettleResult['crossedSoft'] = [];
    for (const p of r.plans) {
      const c = counterOf(p.id, now);
      c.sm += input.costMicros;
      c.st += input.tokens;
      const kinds = softCrossings(p, c, { usd: c.softUsd, tok: c.softTok });
      for (const kind of kinds) {
        if (kind === 'usd') c.softUsd = true;
        else c.softTok = true;
        crossedSoft.push({ scope: p.scope, period: p.period, kind });
      }
    }
    r.status = 's';
    touch(r, now);
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
    /** Writes what is queued now (at close). Throws when SQLite cannot. */
    flush: flushNow,
  };
}
