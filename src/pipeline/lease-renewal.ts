/**
 * Keeps the budget holds of live requests: a hold's lease only exists to free the hold of a dead owner, so a
 * request that outlives half its lease (failover attempts, backoff, a long stream that needs no extension) renews
 * it — an extend of nothing, never refused — every half lease until it settles.
 *
 * One timer for every request rather than a timer per request (issue 22.3): almost no request lives long enough to
 * renew, yet each one created, armed and cleared a Timeout. The sweep runs once a second while any request holds
 * a lease, so a renewal comes at most a second after its half lease (leases are ≥ 60 s).
 */
const SWEEP_MS = 1000;

interface Lease {
  due: number;
  halfMs: number;
  renew: () => Promise<unknown>;
  live: boolean;
}

const leases = new Set<Lease>();
let timer: NodeJS.Timeout | undefined;
let timerAt = 0;
/** Only the newest scheduled sweep runs (see `keepLeaseAlive`). */
let generation = 0;

/** Renews every `leaseMs / 2` with `renew` until the returned `stop` is called (once the hold is settled). */
export function keepLeaseAlive(leaseMs: number, renew: () => Promise<unknown>): { stop(): void } {
  const lease: Lease = { due: Date.now() + leaseMs / 2, halfMs: leaseMs / 2, renew, live: true };
  leases.add(lease);
  // A sweep long overdue was lost (a test's fake clock uninstalled under it): start a new one.
  if (!timer || lease.due - lease.halfMs - timerAt > 10 * SWEEP_MS) schedule();
  return {
    stop() {
      lease.live = false;
      leases.delete(lease);
    },
  };
}

function schedule(): void {
  const gen = ++generation;
  timerAt = Date.now();
  timer = setTimeout(() => sweep(gen), SWEEP_MS);
  timer.unref();
}

function sweep(gen: number): void {
  if (gen !== generation) return;
  timer = undefined;
  const now = Date.now();
  for (const lease of leases) {
    if (lease.due > now) continue;
    // Not due again until this renewal is answered (unavailable: the next half lease retries; unknown: settled).
    lease.due = Infinity;
    void lease
      .renew()
      .catch(() => undefined)
      .finally(() => {
        if (lease.live) lease.due = Date.now() + lease.halfMs;
      });
  }
  if (leases.size > 0) schedule();
}
