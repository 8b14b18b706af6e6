/**
 * The StateStore contract: every implementation runs this suite (see sqlite-store.test.ts, redis-store.test.ts).
 * Times are injected through `now` so period and window boundaries are exact and tests do not sleep.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKey, AuditEntry, PromptTemplate, Scope, ScopeBudgets, StateStore, Team, TemplateUsage } from '../../src/state/state-store.js';

export interface ContractHarness {
  /** Opens a store on a fresh, empty backend (or one shared by the whole suite: tests use unique ids). */
  open(): Promise<StateStore>;
  /** Closes `store` and opens the same backend again (durability). Omit when the backend is not durable. */
  reopen?(store: StateStore): Promise<StateStore>;
  /**
   * True when holds belong to the process that made them and end with it (the embedded store: one process owns
   * it, its in-flight requests end with it). False when they are shared state that outlives a process (Redis).
   */
  holdsEndWithProcess?: boolean;
  cleanup?(): Promise<void>;
}

const T0 = Date.UTC(2024, 2, 13, 12, 0, 0); // Wednesday 13 March 2024, 12:00 UTC
const uid = () => randomUUID().slice(0, 8);

export function team(id: string, over: Partial<Team> = {}): Team {
  return { id, name: `Team ${id}`, allowedModels: ['*'], budgets: [], policy: {}, createdAt: T0, updatedAt: T0, ...over };
}
export function key(id: string, teamId: string, over: Partial<ApiKey> = {}): ApiKey {
  return { id, teamId, name: `key ${id}`, prefix: 'sk-gw-ab', hash: `hash-${id}`, createdAt: T0, budgets: [], ...over };
}

export function runStateStoreContract(name: string, harness: ContractHarness): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    beforeAll(async () => {
      store = await harness.open();
    });
    afterAll(async () => {
      await store?.close();
      await harness.cleanup?.();
    });

    describe('teams and keys', () => {
      it('stores, lists, updates and deletes teams with their keys', async () => {
        const t = `t-${uid()}`;
        await store.upsertTeam(team(t, { budgets: [{ period: 'daily', usdMicros: 5_000_000 }], policy: { pii: 'redact' } }));
        expect(await store.getTeam(t)).toMatchObject({ id: t, policy: { pii: 'redact' }, budgets: [{ period: 'daily', usdMicros: 5_000_000 }] });
        await store.upsertTeam(team(t, { name: 'Renamed' }));
        expect((await store.getTeam(t))?.name).toBe('Renamed');
        expect((await store.listTeams()).map((x) => x.id)).toContain(t);
        await store.createKey(key(`k-${t}`, t));
        expect(await store.listKeys(t)).toHaveLength(1);
        expect(await store.deleteTeam(t)).toBe(true);
        expect(await store.getTeam(t)).toBeUndefined();
        expect(await store.getKeyByHash(`hash-k-${t}`)).toBeUndefined();
        expect(await store.listKeys(t)).toHaveLength(0);
        expect(await store.deleteTeam(t)).toBe(false);
      });

      it('finds keys by hash, rejects duplicates, updates, revokes once and throttles touches', async () => {
        const t = `t-${uid()}`;
        const k = `k-${uid()}`;
        await store.upsertTeam(team(t));
        await store.createKey(key(k, t, { expiresAt: T0 + 1000 }));
        await expect(store.createKey(key(k, t))).rejects.toThrow();
        await expect(store.createKey(key(`other-${k}`, t, { hash: `hash-${k}` }))).rejects.toThrow();
        expect(await store.getKeyByHash(`hash-${k}`)).toMatchObject({ id: k, teamId: t, expiresAt: T0 + 1000 });
        expect(await store.getKeyByHash('no-such-hash')).toBeUndefined();

        const updated = await store.updateKey(k, { name: 'renamed', rateLimits: { rpm: 7 } });
        expect(updated).toMatchObject({ id: k, name: 'renamed', rateLimits: { rpm: 7 }, hash: `hash-${k}` });
        expect(await store.getKeyByHash(`hash-${k}`)).toMatchObject({ name: 'renamed', rateLimits: { rpm: 7 } });
        expect(await store.updateKey('missing', { name: 'x' })).toBeUndefined();

        expect(await store.revokeKey(k, T0 + 5)).toBe(true);
        expect(await store.revokeKey(k, T0 + 9)).toBe(true);
        expect((await store.getKeyByHash(`hash-${k}`))?.revokedAt).toBe(T0 + 5);
        expect(await store.revokeKey('missing')).toBe(false);

        await store.touchKey(k, T0 + 100);
        await store.touchKey(k, T0 + 200); // within the touch interval: not written
        expect((await store.getKey(k))?.lastUsedAt).toBe(T0 + 100);
        await store.touchKey(k, T0 + 100 + 3_600_000);
        expect((await store.listKeys(t))[0]?.lastUsedAt).toBe(T0 + 100 + 3_600_000);
      });

      it('rotates a key in place: same id and record, the new secret, the replaced one only until its grace ends', async () => {
        const t = `t-${uid()}`;
        const k = `k-${uid()}`;
        const now = Date.now();
        await store.upsertTeam(team(t));
        await store.createKey(key(k, t, { budgets: [{ period: 'daily', usdMicros: 5 }] }));
        await store.touchKey(k, now);
        const r1 = await store.rotateKeySecret(k, { hash: `hash-${k}-2`, prefix: 'sk-gw-r2', previousUntil: now + 60_000 });
        expect(r1).toMatchObject({ id: k, hash: `hash-${k}-2`, prefix: 'sk-gw-r2', budgets: [{ period: 'daily', usdMicros: 5 }], previous: { hash: `hash-${k}`, until: now + 60_000 } });
        expect(await store.getKeyByHash(`hash-${k}-2`)).toMatchObject({ id: k, prefix: 'sk-gw-r2', lastUsedAt: now });
        expect((await store.getKeyByHash(`hash-${k}-2`))?.revokedAt).toBeUndefined();
        // The replaced secret: the same key, seen through it, revoked when the grace ends.
        expect(await store.getKeyByHash(`hash-${k}`)).toMatchObject({ id: k, hash: `hash-${k}`, prefix: 'sk-gw-ab', revokedAt: now + 60_000 });
        expect(await store.getKey(k)).toMatchObject({ hash: `hash-${k}-2` });
        expect(await store.listKeys(t)).toHaveLength(1);
        // A second rotation: the first secret stops at once, the second gets the new grace.
        await store.rotateKeySecret(k, { hash: `hash-${k}-3`, prefix: 'sk-gw-r3', previousUntil: now });
        const first = await store.getKeyByHash(`hash-${k}`);
        expect(first === undefined || (first.revokedAt ?? Infinity) <= now).toBe(true);
        expect(await store.getKeyByHash(`hash-${k}-2`)).toMatchObject({ id: k, revokedAt: now });
        expect(await store.getKeyByHash(`hash-${k}-3`)).toMatchObject({ id: k });
        // Updates and revocation reach every view; the new hash must be free.
        await store.updateKey(k, { name: 'renamed' });
        expect(await store.getKeyByHash(`hash-${k}-3`)).toMatchObject({ name: 'renamed' });
        await store.createKey(key(`${k}-other`, t));
        await expect(store.rotateKeySecret(k, { hash: `hash-${k}-other`, prefix: 'x', previousUntil: now })).rejects.toThrow();
        expect(await store.rotateKeySecret('missing', { hash: 'h-missing', prefix: 'x', previousUntil: now })).toBeUndefined();
        await store.revokeKey(k, now - 1);
        expect((await store.getKeyByHash(`hash-${k}-3`))?.revokedAt).toBe(now - 1);
        expect((await store.getKeyByHash(`hash-${k}-2`))?.revokedAt).toBe(now - 1);
        expect(await store.deleteTeam(t)).toBe(true);
        expect(await store.getKeyByHash(`hash-${k}-3`)).toBeUndefined();
        expect(await store.getKeyByHash(`hash-${k}-2`)).toBeUndefined();
      });
    });

    describe('key and team in one call (optional getKeyAndTeamByHash)', () => {
      it('answers as getKeyByHash + getTeam do: odd team ids, rotated secrets, revocation, deleted teams', async () => {
        if (!store.getKeyAndTeamByHash) return; // optional: callers fall back to the two calls
        const both = async (hash: string) => {
          const k = await store.getKeyByHash(hash);
          return k ? { key: k, team: await store.getTeam(k.teamId) } : undefined;
        };
        const t = `t ü/{x}%'(${uid()})`;
        const k = `k-${uid()}`;
        const now = Date.now();
        await store.upsertTeam(team(t, { budgets: [{ period: 'daily', usdMicros: 7 }] }));
        await store.createKey(key(k, t));
        await store.touchKey(k, now);
        expect(await store.getKeyAndTeamByHash(`hash-${k}`)).toEqual(await both(`hash-${k}`));
        expect((await store.getKeyAndTeamByHash(`hash-${k}`))?.team?.id).toBe(t);
        expect(await store.getKeyAndTeamByHash('hash-nobody')).toBeUndefined();
        await store.rotateKeySecret(k, { hash: `hash-${k}-2`, prefix: 'sk-gw-r2', previousUntil: now + 60_000 });
        for (const h of [`hash-${k}`, `hash-${k}-2`]) expect(await store.getKeyAndTeamByHash(h)).toEqual(await both(h));
        await store.revokeKey(k, now - 1);
        expect((await store.getKeyAndTeamByHash(`hash-${k}-2`))?.key.revokedAt).toBe(now - 1);
        // A key whose team is gone (deleted under it) comes back without a team.
        const orphan = `k-${uid()}`;
        await store.createKey(key(orphan, `gone-${uid()}`));
        expect(await store.getKeyAndTeamByHash(`hash-${orphan}`)).toEqual({ key: await store.getKeyByHash(`hash-${orphan}`), team: undefined });
        expect(await store.deleteTeam(t)).toBe(true);
        expect(await store.getKeyAndTeamByHash(`hash-${k}-2`)).toBeUndefined();
      });
    });

    describe('admin audit trail', () => {
      it('stores entries once, lists them newest first, filtered by time, team, action, target and actor', async () => {
        const t = `t-${uid()}`;
        const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
          id: `aud_${t}_${String(i).padStart(3, '0')}`,
          at: T0 + i * 1000,
          actor: { role: 'admin', credential: 'admin-token:abcd1234', name: i % 2 ? 'ana@example.com' : undefined },
          action: i % 3 === 0 ? 'key.rotate' : 'team.update',
          target: i % 3 === 0 ? { type: 'key', id: `k-${t}` } : { type: 'team', id: t },
          team: t,
          before: { name: `before ${i}` },
          after: { name: `after ${i}` },
          ip: '127.0.0.1',
          requestId: `req_${i}`,
          ...over,
        });
        for (let i = 0; i < 12; i++) await store.appendAudit(entry(i));
        await store.appendAudit(entry(5)); // a repeat is stored once
        await store.appendAudit(entry(99, { team: `${t}-other`, target: { type: 'team', id: `${t}-other` } }));
        const all = await store.listAudit({ team: t });
        expect(all.map((e) => e.id)).toEqual(Array.from({ length: 12 }, (_, i) => entry(11 - i).id));
        expect(all[0]).toEqual(JSON.parse(JSON.stringify(entry(11))));
        expect((await store.listAudit({ team: t, limit: 3 })).map((e) => e.requestId)).toEqual(['req_11', 'req_10', 'req_9']);
        expect((await store.listAudit({ team: t, from: T0 + 3000, to: T0 + 6000 })).map((e) => e.requestId)).toEqual(['req_5', 'req_4', 'req_3']);
        expect((await store.listAudit({ team: t, action: 'key.rotate' })).map((e) => e.requestId)).toEqual(['req_9', 'req_6', 'req_3', 'req_0']);
        expect((await store.listAudit({ targetId: `k-${t}`, limit: 2 })).map((e) => e.requestId)).toEqual(['req_9', 'req_6']);
        expect((await store.listAudit({ team: t, actor: 'ana@example.com' })).length).toBe(6);
        expect((await store.listAudit({ team: `${t}-other` })).map((e) => e.requestId)).toEqual(['req_99']);
      });
    });

    describe('budgets', () => {
      const teamScope = (id: string, budgets: ScopeBudgets['budgets']): ScopeBudgets => ({ scope: `team:${id}`, budgets });

      it('200 concurrent reservations never hold or settle more than the limit', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'monthly', usdMicros: 1000 }])];
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            store.reserve({ requestId: `c-${t}-${i}`, teamId: t, scopes, costMicros: 7, tokens: 1, leaseMs: 60_000, now: T0 }),
          ),
        );
        const ok = results.map((r, i) => [r, i] as const).filter(([r]) => r.ok);
        expect(ok).toHaveLength(Math.floor(1000 / 7));
        const denied = results.find((r) => !r.ok);
        expect(denied).toMatchObject({ ok: false, scope: `team:${t}`, period: 'monthly', kind: 'usd', limit: 1000, resetsAt: Date.UTC(2024, 3, 1) });
        await Promise.all(ok.map(([, i]) => store.settle({ requestId: `c-${t}-${i}`, teamId: t, costMicros: 7, tokens: 1, now: T0 + 1 })));
        const [status] = await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 2 });
        expect(status).toMatchObject({ spentMicros: 142 * 7, reservedMicros: 0, reservedTokens: 0, spentTokens: 142 });
        expect(status!.spentMicros).toBeLessThanOrEqual(1000);
      });

      it('is all-or-nothing across team and key scopes, and reports what remains', async () => {
        const t = uid();
        const scopes: ScopeBudgets[] = [
          teamScope(t, [{ period: 'daily', usdMicros: 10_000 }]),
          { scope: `key:k${t}`, budgets: [{ period: 'daily', tokens: 100 }, { period: 'lifetime', usdMicros: 50_000 }] },
        ];
        const denied = await store.reserve({ requestId: `a-${t}`, teamId: t, scopes, costMicros: 100, tokens: 150, leaseMs: 1000, now: T0 });
        expect(denied).toMatchObject({ ok: false, scope: `key:k${t}`, period: 'daily', kind: 'tokens', limit: 100 });
        const status = await store.getBudgetStatus(scopes, { teamId: t, now: T0 });
        expect(status.map((s) => s.reservedMicros)).toEqual([0, 0, 0]);
        const ok = await store.reserve({ requestId: `b-${t}`, teamId: t, scopes, costMicros: 100, tokens: 60, leaseMs: 1000, now: T0 });
        expect(ok.ok).toBe(true);
        if (!ok.ok) return;
        expect(ok.remaining).toEqual([
          { scope: `team:${t}`, period: 'daily', kind: 'usd', limit: 10_000, remaining: 9_900, resetsAt: Date.UTC(2024, 2, 14) },
          { scope: `key:k${t}`, period: 'daily', kind: 'tokens', limit: 100, remaining: 40, resetsAt: Date.UTC(2024, 2, 14) },
          { scope: `key:k${t}`, period: 'lifetime', kind: 'usd', limit: 50_000, remaining: 49_900, resetsAt: null },
        ]);
        // The same request reserving again (a retry) holds once.
        await store.reserve({ requestId: `b-${t}`, teamId: t, scopes, costMicros: 100, tokens: 60, leaseMs: 1000, now: T0 });
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 }))[1]).toMatchObject({ reservedTokens: 60 });
      });

      it('settles exactly once, returning the unused part of the hold', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'daily', usdMicros: 1000, tokens: 1000 }])];
        await store.reserve({ requestId: `s-${t}`, teamId: t, scopes, costMicros: 600, tokens: 500, leaseMs: 60_000, now: T0 });
        const settles = await Promise.all(
          Array.from({ length: 5 }, () => store.settle({ requestId: `s-${t}`, teamId: t, costMicros: 250, tokens: 120, now: T0 + 10 })),
        );
        expect(settles.filter((s) => s.settled)).toHaveLength(1);
        expect(await store.settle({ requestId: `s-${t}`, teamId: t, costMicros: 250, tokens: 120, now: T0 + 20 })).toEqual({ settled: false, crossedSoft: [] });
        expect(await store.settle({ requestId: `never-${t}`, teamId: t, costMicros: 1, tokens: 1, now: T0 })).toMatchObject({ settled: false });
        const [s] = await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 30 });
        expect(s).toMatchObject({ spentMicros: 250, spentTokens: 120, reservedMicros: 0, reservedTokens: 0 });
        // The released part is available again: 750 left.
        const r = await store.reserve({ requestId: `s2-${t}`, teamId: t, scopes, costMicros: 750, tokens: 1, leaseMs: 1000, now: T0 + 40 });
        expect(r.ok).toBe(true);
      });

      it('extends within the limit and refuses beyond it', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'weekly', usdMicros: 100 }])];
        await store.reserve({ requestId: `e-${t}`, teamId: t, scopes, costMicros: 60, tokens: 10, leaseMs: 1000, now: T0 });
        expect((await store.extend({ requestId: `e-${t}`, teamId: t, costMicros: 30, tokens: 10, now: T0 + 1 })).ok).toBe(true);
        const denied = await store.extend({ requestId: `e-${t}`, teamId: t, costMicros: 20, tokens: 0, now: T0 + 2 });
        expect(denied).toMatchObject({ ok: false, kind: 'usd', period: 'weekly', resetsAt: Date.UTC(2024, 2, 18) });
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 3 }))[0]).toMatchObject({ reservedMicros: 90 });
        await store.settle({ requestId: `e-${t}`, teamId: t, costMicros: 95, tokens: 20, now: T0 + 4 });
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 5 }))[0]).toMatchObject({ spentMicros: 95, reservedMicros: 0 });
        await expect(store.extend({ requestId: `e-${t}`, teamId: t, costMicros: 1, tokens: 0, now: T0 + 6 })).rejects.toThrow(/no active reservation/);
      });

      it('rolls over at the calendar period boundary (UTC)', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'daily', usdMicros: 100 }])];
        const lateSunday = Date.UTC(2024, 2, 17, 23, 59, 59, 999);
        await store.reserve({ requestId: `p1-${t}`, teamId: t, scopes, costMicros: 100, tokens: 0, leaseMs: 1000, now: lateSunday });
        await store.settle({ requestId: `p1-${t}`, teamId: t, costMicros: 100, tokens: 0, now: lateSunday });
        const denied = await store.reserve({ requestId: `p2-${t}`, teamId: t, scopes, costMicros: 1, tokens: 0, leaseMs: 1000, now: lateSunday });
        expect(denied).toMatchObject({ ok: false, resetsAt: Date.UTC(2024, 2, 18) });
        const monday = Date.UTC(2024, 2, 18);
        const ok = await store.reserve({ requestId: `p3-${t}`, teamId: t, scopes, costMicros: 100, tokens: 0, leaseMs: 1000, now: monday });
        expect(ok).toMatchObject({ ok: true, remaining: [{ remaining: 0, resetsAt: Date.UTC(2024, 2, 19) }] });
        // Weekly and monthly windows: Monday 00:00 UTC and the 1st 00:00 UTC.
        const wk = [teamScope(t, [{ period: 'weekly', tokens: 10 }, { period: 'monthly', tokens: 1000 }])];
        const st = await store.getBudgetStatus(wk, { teamId: t, now: lateSunday });
        expect(st.map((s) => [s.periodStart, s.resetsAt])).toEqual([
          [Date.UTC(2024, 2, 11), Date.UTC(2024, 2, 18)],
          [Date.UTC(2024, 2, 1), Date.UTC(2024, 3, 1)],
        ]);
      });

      it('frees the hold of a reservation whose lease expired; a late settle still counts once', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'lifetime', usdMicros: 100 }])];
        await store.reserve({ requestId: `l1-${t}`, teamId: t, scopes, costMicros: 100, tokens: 0, leaseMs: 5_000, now: T0 });
        expect((await store.reserve({ requestId: `l2-${t}`, teamId: t, scopes, costMicros: 50, tokens: 0, leaseMs: 5_000, now: T0 + 4_999 })).ok).toBe(false);
        const l3 = await store.reserve({ requestId: `l3-${t}`, teamId: t, scopes, costMicros: 50, tokens: 0, leaseMs: 5_000, now: T0 + 5_000 });
        expect(l3.ok).toBe(true);
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 5_001 }))[0]).toMatchObject({ reservedMicros: 50, spentMicros: 0 });
        // The first owner comes back late: its actual spend is recorded, once.
        expect((await store.settle({ requestId: `l1-${t}`, teamId: t, costMicros: 30, tokens: 0, now: T0 + 6_000 })).settled).toBe(true);
        expect((await store.settle({ requestId: `l1-${t}`, teamId: t, costMicros: 30, tokens: 0, now: T0 + 6_001 })).settled).toBe(false);
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 6_002 }))[0]).toMatchObject({ reservedMicros: 50, spentMicros: 30 });
        // Extending renews the lease.
        expect((await store.extend({ requestId: `l3-${t}`, teamId: t, costMicros: 10, tokens: 0, leaseMs: 10_000, now: T0 + 9_000 })).ok).toBe(true);
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 18_000 }))[0]).toMatchObject({ reservedMicros: 60 });
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 19_000 }))[0]).toMatchObject({ reservedMicros: 0 });
      });

      it('extending by nothing renews the lease of a live request, also when its hold fills the budget exactly', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'daily', usdMicros: 100, tokens: 10 }])];
        await store.reserve({ requestId: `z-${t}`, teamId: t, scopes, costMicros: 100, tokens: 10, leaseMs: 5_000, now: T0 });
        // A heartbeat of a request still running: nothing more held, so nothing to refuse.
        expect(await store.extend({ requestId: `z-${t}`, teamId: t, costMicros: 0, tokens: 0, now: T0 + 4_000 })).toMatchObject({ ok: true });
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 8_000 }))[0]).toMatchObject({ reservedMicros: 100, reservedTokens: 10 });
        expect((await store.reserve({ requestId: `z2-${t}`, teamId: t, scopes, costMicros: 1, tokens: 0, leaseMs: 5_000, now: T0 + 8_000 })).ok).toBe(false);
        expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 9_000 }))[0]).toMatchObject({ reservedMicros: 0 });
      });

      it('rejects fractional or negative amounts instead of drifting', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'daily', usdMicros: 100 }])];
        await expect(store.reserve({ requestId: `f-${t}`, teamId: t, scopes, costMicros: 0.5, tokens: 1, leaseMs: 1000, now: T0 })).rejects.toThrow(TypeError);
        await expect(store.reserve({ requestId: `f-${t}`, teamId: t, scopes, costMicros: 1, tokens: -1, leaseMs: 1000, now: T0 })).rejects.toThrow(TypeError);
        await expect(store.rateLimit({ scope: `key:${t}`, tpm: 10, tokens: 1.5, now: T0 })).rejects.toThrow(TypeError);
      });

      it('reports a soft threshold crossing once per period per budget', async () => {
        const t = uid();
        const scopes = [teamScope(t, [{ period: 'daily', usdMicros: 1000, tokens: 100, softThreshold: 0.8 }])];
        const spend = async (n: number, cost: number, tokens: number, now: number) => {
          await store.reserve({ requestId: `sf${n}-${t}`, teamId: t, scopes, costMicros: cost, tokens, leaseMs: 1000, now });
          return (await store.settle({ requestId: `sf${n}-${t}`, teamId: t, costMicros: cost, tokens, now })).crossedSoft;
        };
        expect(await spend(1, 500, 10, T0)).toEqual([]);
        expect(await spend(2, 300, 10, T0)).toEqual([{ scope: `team:${t}`, period: 'daily', kind: 'usd' }]);
        expect(await spend(3, 100, 70, T0)).toEqual([{ scope: `team:${t}`, period: 'daily', kind: 'tokens' }]);
        expect(await spend(4, 50, 5, T0)).toEqual([]);
        expect(await spend(5, 900, 1, T0 + 86_400_000)).toEqual([{ scope: `team:${t}`, period: 'daily', kind: 'usd' }]);
      });
    });

    describe('rate limits', () => {
      it('allows exactly N requests per 60 s window and reports header figures', async () => {
        const scope: Scope = `key:${uid()}`;
        const results = [];
        for (let i = 0; i < 6; i++) results.push(await store.rateLimit({ scope, rpm: 5, tokens: 0, now: T0 + i * 1000 }));
        expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
        expect(results.map((r) => r.requests?.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
        expect(results[0]).toMatchObject({ requests: { limit: 5, resetMs: 60_000 }, retryAfterMs: 0 });
        expect(results[0]!.tokens).toBeUndefined();
        // The oldest request (at T0) leaves the window at T0 + 60 s: 55 s after the denied call at T0 + 5 s.
        expect(results[5]).toMatchObject({ allowed: false, retryAfterMs: 55_000, requests: { resetMs: 59_000 } });
        expect((await store.rateLimit({ scope, rpm: 5, tokens: 0, now: T0 + 59_999 })).allowed).toBe(false);
        expect((await store.rateLimit({ scope, rpm: 5, tokens: 0, now: T0 + 60_000 })).allowed).toBe(true);
        expect((await store.rateLimit({ scope, rpm: 5, tokens: 0, now: T0 + 60_001 })).allowed).toBe(false);
      });

      it('releases an entry: its request and tokens leave the window at once; a second release is a no-op', async () => {
        const scope: Scope = `key:${uid()}`;
        const first = await store.rateLimit({ scope, rpm: 2, tpm: 100, tokens: 60, now: T0 });
        expect(first.entry).toEqual(expect.any(String));
        expect((await store.rateLimit({ scope, rpm: 2, tpm: 100, tokens: 60, now: T0 + 1 })).allowed).toBe(false); // tokens
        await store.rateLimitRelease(scope, first.entry!);
        await store.rateLimitRelease(scope, first.entry!);
        const again = await store.rateLimit({ scope, rpm: 2, tpm: 100, tokens: 60, now: T0 + 2 });
        expect(again).toMatchObject({ allowed: true, requests: { remaining: 1 }, tokens: { remaining: 40 } });
        const refused = await store.rateLimit({ scope, rpm: 2, tpm: 100, tokens: 60, now: T0 + 3 });
        expect(refused.allowed).toBe(false);
        expect(refused.entry).toBeUndefined();
      });

      it('limits tokens per minute and holds under concurrency', async () => {
        const scope: Scope = `team:${uid()}`;
        const a = await store.rateLimit({ scope, tpm: 100, tokens: 40, now: T0 });
        const b = await store.rateLimit({ scope, tpm: 100, tokens: 40, now: T0 + 10_000 });
        const c = await store.rateLimit({ scope, tpm: 100, tokens: 40, now: T0 + 20_000 });
        expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
        expect(b.tokens).toEqual({ limit: 100, remaining: 20, resetMs: 60_000 });
        expect(c.retryAfterMs).toBe(40_000); // the first 40 tokens age out at T0 + 60 s
        const scope2: Scope = `key:${uid()}`;
        const many = await Promise.all(Array.from({ length: 40 }, () => store.rateLimit({ scope: scope2, rpm: 10, tpm: 1000, tokens: 5, now: T0 })));
        expect(many.filter((r) => r.allowed)).toHaveLength(10);
      });
    });

    describe('usage ledger', () => {
      it('aggregates per hour × team × key × model × provider and queries by hour and day', async () => {
        const t = `u-${uid()}`;
        const base = { teamId: t, keyId: 'k1', model: 'gpt-4o-mini', provider: 'openai', requests: 1, promptTokens: 10, completionTokens: 5, cachedTokens: 2, costMicros: 1_500, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 };
        const h = Date.UTC(2024, 2, 13, 10);
        await store.recordUsage({ ...base, at: h + 1 });
        await store.recordUsage({ ...base, at: h + 3_599_999 });
        await store.recordUsage({ ...base, at: h + 3_600_000, model: 'claude-haiku', provider: 'anthropic', costMicros: 700 });
        await store.recordUsage({ ...base, at: h + 3_600_000, keyId: 'k2', cacheHits: 1, savedMicros: 1_500, costMicros: 0 });
        await store.recordUsage({ ...base, at: Date.UTC(2024, 2, 14, 1), errors: 1, guardBlocks: 1 });

        const hourly = await store.queryUsage({ from: h, to: h + 2 * 3_600_000, granularity: 'hour', teamId: t, groupBy: ['model'] });
        expect(hourly).toEqual([
          { bucket: h, model: 'gpt-4o-mini', requests: 2, promptTokens: 20, completionTokens: 10, cachedTokens: 4, costMicros: 3_000, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 },
          { bucket: h + 3_600_000, model: 'claude-haiku', requests: 1, promptTokens: 10, completionTokens: 5, cachedTokens: 2, costMicros: 700, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 },
          { bucket: h + 3_600_000, model: 'gpt-4o-mini', requests: 1, promptTokens: 10, completionTokens: 5, cachedTokens: 2, costMicros: 0, cacheHits: 1, savedMicros: 1_500, errors: 0, guardBlocks: 0 },
        ]);
        const daily = await store.queryUsage({ from: Date.UTC(2024, 2, 13), to: Date.UTC(2024, 2, 15), granularity: 'day', teamId: t });
        expect(daily.map((r) => [r.bucket, r.requests, r.costMicros, r.errors])).toEqual([
          [Date.UTC(2024, 2, 13), 4, 3_700, 0],
          [Date.UTC(2024, 2, 14), 1, 1_500, 1],
        ]);
        const byKey = await store.queryUsage({ from: h, to: Date.UTC(2024, 2, 15), granularity: 'day', teamId: t, provider: 'openai', groupBy: ['team', 'key', 'provider'] });
        expect(byKey.map((r) => [r.bucket, r.teamId, r.keyId, r.provider, r.requests])).toEqual([
          [Date.UTC(2024, 2, 13), t, 'k1', 'openai', 2],
          [Date.UTC(2024, 2, 13), t, 'k2', 'openai', 1],
          [Date.UTC(2024, 2, 14), t, 'k1', 'openai', 1],
        ]);
        expect(await store.pruneUsage(h + 3_600_000)).toBeGreaterThanOrEqual(1);
        const after = await store.queryUsage({ from: h, to: Date.UTC(2024, 2, 15), granularity: 'day', teamId: t });
        expect(after.map((r) => r.requests)).toEqual([2, 1]);
      });
      it('keeps the API, the end user and the tag apart, and a record without them counts as chat with neither', async () => {
        const t = `a-${uid()}`;
        const base = { at: T0, teamId: t, keyId: 'k', model: 'm', provider: 'p', requests: 1, promptTokens: 3, completionTokens: 2, cachedTokens: 0, costMicros: 50, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 };
        await store.recordUsage(base);
        await store.recordUsage({ ...base, api: 'chat', endUser: '' });
        await store.recordUsage({ ...base, api: 'messages', endUser: 'alice' });
        await store.recordUsage({ ...base, api: 'responses', endUser: 'alice', costMicros: 70 });
        await store.recordUsage({ ...base, api: 'responses', endUser: 'bob' });
        const q = { from: T0, to: T0 + 3_600_000, granularity: 'hour' as const, teamId: t };
        const byApi = await store.queryUsage({ ...q, groupBy: ['api'] });
        expect(byApi.map((r) => [r.api, r.requests])).toEqual([['chat', 2], ['messages', 1], ['responses', 2]]);
        const byUser = await store.queryUsage({ ...q, groupBy: ['user'] });
        expect(byUser.map((r) => [r.endUser, r.requests, r.costMicros])).toEqual([['', 2, 100], ['alice', 2, 120], ['bob', 1, 50]]);
        const alice = await store.queryUsage({ ...q, endUser: 'alice', api: 'responses' });
        expect(alice.map((r) => [r.requests, r.costMicros])).toEqual([[1, 70]]);
        await store.recordUsage({ ...base, tag: 'project-x', costMicros: 9 });
        const byTag = await store.queryUsage({ ...q, groupBy: ['tag'] });
        expect(byTag.map((r) => [r.tag, r.requests])).toEqual([['', 5], ['project-x', 1]]);
        expect((await store.queryUsage({ ...q, tag: 'project-x' })).map((r) => r.costMicros)).toEqual([9]);
      });
      it('records a repeated write id once (a retry of a write whose reply was lost)', async () => {
        const t = `w-${uid()}`;
        const rec = { at: T0, teamId: t, keyId: 'k', model: 'm', provider: 'p', requests: 1, promptTokens: 3, completionTokens: 2, cachedTokens: 0, costMicros: 50, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 };
        await store.recordUsage({ ...rec, writeId: `a-${t}` });
        await store.recordUsage({ ...rec, writeId: `a-${t}` });
        await store.recordUsage({ ...rec, writeId: `b-${t}` });
        await store.recordUsage(rec);
        const [row] = await store.queryUsage({ from: T0, to: T0 + 3_600_000, granularity: 'hour', teamId: t });
        expect([row.requests, row.promptTokens, row.costMicros]).toEqual([3, 9, 150]);
      });
    });

    describe('semantic cache calibration', () => {
      it('counts comparisons, agreements and what the compared calls cost per team and band, exactly under concurrency, teams apart', async () => {
        const t = `t-${uid()}`;
        expect(await store.getCalibration(t)).toEqual([]);
        await Promise.all(Array.from({ length: 50 }, (_, i) => store.recordCalibration(t, 'm|0.950', i % 10 !== 0, 100)));
        await store.recordCalibration(t, 'm|0.900', false);
        await store.recordCalibration(`${t}-other`, 'm|0.950', true, 7);
        expect(await store.getCalibration(t)).toEqual([
          { band: 'm|0.900', samples: 1, agreed: 0, costMicros: 0 },
          { band: 'm|0.950', samples: 50, agreed: 45, costMicros: 5000 },
        ]);
        expect(await store.getCalibration(`${t}-other`)).toEqual([{ band: 'm|0.950', samples: 1, agreed: 1, costMicros: 7 }]);
      });
    });

    describe('prompt templates', () => {
      const tpl = (id: string, revision: number, over: Partial<PromptTemplate> = {}): PromptTemplate => ({
        id, team: 'ta', versions: [{ version: 1, messages: [{ role: 'user', content: 'Hi {{name}}' }], variables: ['name'], createdAt: T0 }],
        history: [], createdAt: T0, updatedAt: T0, revision, ...over,
      });
      it('creates once, updates by compare-and-set on the revision, lists sorted and deletes', async () => {
        const id = `tpl-${uid()}`;
        expect(await store.getTemplate(id)).toBeUndefined();
        expect(await store.saveTemplate(tpl(id, 1), 0)).toBe(true);
        expect(await store.saveTemplate(tpl(id, 1), 0)).toBe(false); // exists already
        expect(await store.getTemplate(id)).toEqual(tpl(id, 1));
        expect(await store.saveTemplate(tpl(id, 2, { published: 1 }), 1)).toBe(true);
        expect(await store.saveTemplate(tpl(id, 2, { published: 9 }), 1)).toBe(false); // stale revision
        expect(await store.getTemplate(id)).toMatchObject({ revision: 2, published: 1 });
        await store.saveTemplate(tpl(`${id}-b`, 1, { team: undefined }), 0);
        const ids = (await store.listTemplates()).map((t) => t.id);
        expect(ids.indexOf(id)).toBeGreaterThanOrEqual(0);
        expect(ids.indexOf(`${id}-b`)).toBe(ids.indexOf(id) + 1);
        expect(await store.deleteTemplate(id)).toBe(true);
        expect(await store.deleteTemplate(id)).toBe(false);
        expect(await store.getTemplate(id)).toBeUndefined();
        expect((await store.listTemplates()).map((t) => t.id)).not.toContain(id);
      });
      it('aggregates usage per UTC day × version × team, exactly under concurrency; deleting the template drops it', async () => {
        const id = `tpl-${uid()}`;
        await store.saveTemplate(tpl(id, 1), 0);
        const use = (over: Partial<TemplateUsage> = {}): TemplateUsage => ({ at: T0, template: id, version: 1, teamId: 'ta', promptTokens: 10, completionTokens: 5, costMicros: 7, error: false, ...over });
        await Promise.all(Array.from({ length: 30 }, () => store.recordTemplateUsage(use())));
        await store.recordTemplateUsage(use({ version: 2, error: true, costMicros: 0 }));
        await store.recordTemplateUsage(use({ teamId: 't|b/ü' }));
        await store.recordTemplateUsage(use({ at: T0 + 86_400_000 }));
        const day = Date.UTC(2024, 2, 13);
        expect(await store.queryTemplateUsage(id)).toEqual([
          { day, version: 1, teamId: 'ta', requests: 30, promptTokens: 300, completionTokens: 150, costMicros: 210, errors: 0 },
          { day, version: 1, teamId: 't|b/ü', requests: 1, promptTokens: 10, completionTokens: 5, costMicros: 7, errors: 0 },
          { day, version: 2, teamId: 'ta', requests: 1, promptTokens: 10, completionTokens: 5, costMicros: 0, errors: 1 },
          { day: day + 86_400_000, version: 1, teamId: 'ta', requests: 1, promptTokens: 10, completionTokens: 5, costMicros: 7, errors: 0 },
        ]);
        expect((await store.queryTemplateUsage(id, { from: T0 + 86_400_000 })).map((r) => r.day)).toEqual([day + 86_400_000]);
        expect(await store.queryTemplateUsage(id, { to: day })).toEqual([]);
        expect(await store.queryTemplateUsage(`${id}-other`)).toEqual([]);
        await store.deleteTemplate(id);
        expect(await store.queryTemplateUsage(id)).toEqual([]);
      });
      it('lets exactly one of many concurrent writers of one revision win', async () => {
        const id = `tpl-${uid()}`;
        await store.saveTemplate(tpl(id, 1), 0);
        const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.saveTemplate(tpl(id, 2, { description: `w${i}` }), 1)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await store.getTemplate(id))?.description).toBe(`w${wins.indexOf(true)}`);
      });
    });

    describe('exact cache', () => {
      it('returns values until their TTL runs out', async () => {
        const k = `c-${uid()}`;
        expect(await store.cacheGet(k)).toBeUndefined();
        await store.cacheSet(k, '{"answer":42}', 150);
        expect(await store.cacheGet(k)).toBe('{"answer":42}');
        await new Promise((r) => setTimeout(r, 250));
        expect(await store.cacheGet(k)).toBeUndefined();
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (harness.reopen) {
      it('keeps teams, keys, spend, holds (unless they end with the process) and usage across a restart', async () => {
        const t = `d-${uid()}`;
        const scopes = [{ scope: `team:${t}` as Scope, budgets: [{ period: 'lifetime' as const, usdMicros: 1000 }] }];
        await store.upsertTeam(team(t));
        await store.createKey(key(`k-${t}`, t));
        await store.reserve({ requestId: `r1-${t}`, teamId: t, scopes, costMicros: 400, tokens: 0, leaseMs: 600_000, now: T0 });
        await store.settle({ requestId: `r1-${t}`, teamId: t, costMicros: 300, tokens: 0, now: T0 });
        await store.reserve({ requestId: `r2-${t}`, teamId: t, scopes, costMicros: 200, tokens: 0, leaseMs: 600_000, now: T0 });
        await store.recordUsage({ at: T0, teamId: t, keyId: `k-${t}`, model: 'm', provider: 'p', requests: 1, promptTokens: 1, completionTokens: 1, cachedTokens: 0, costMicros: 300, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 });
        store = await harness.reopen!(store);
        expect(await store.getTeam(t)).toMatchObject({ id: t });
        expect(await store.getKeyByHash(`hash-k-${t}`)).toMatchObject({ id: `k-${t}` });
        expect((await store.settle({ requestId: `r1-${t}`, teamId: t, costMicros: 300, tokens: 0, now: T0 + 2 })).settled).toBe(false);
        if (harness.holdsEndWithProcess) {
          // The process that held r2 is gone, and its request with it: nothing stays held, spend is kept.
          expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 1 }))[0]).toMatchObject({ spentMicros: 300, reservedMicros: 0 });
          expect((await store.settle({ requestId: `r2-${t}`, teamId: t, costMicros: 100, tokens: 0, now: T0 + 2 })).settled).toBe(false);
          expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 3 }))[0]).toMatchObject({ spentMicros: 300, reservedMicros: 0 });
        } else {
          expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 1 }))[0]).toMatchObject({ spentMicros: 300, reservedMicros: 200 });
          expect((await store.settle({ requestId: `r2-${t}`, teamId: t, costMicros: 100, tokens: 0, now: T0 + 2 })).settled).toBe(true);
          expect((await store.getBudgetStatus(scopes, { teamId: t, now: T0 + 3 }))[0]).toMatchObject({ spentMicros: 400, reservedMicros: 0 });
        }
        const usage = await store.queryUsage({ from: T0 - 3_600_000, to: T0 + 3_600_000, granularity: 'hour', teamId: t });
        expect(usage.map((r) => r.costMicros)).toEqual([300]);
      });

      it('keeps exact-cache entries stored just before a restart, and their TTL', async () => {
        // SQLite writes cache entries behind, in batches: an entry is read back at once, and close() writes it.
        const [kept, short] = [`ck-${uid()}`, `cs-${uid()}`];
        await store.cacheSet(kept, '{"a":1}', 60_000);
        await store.cacheSet(short, '{"a":2}', 100);
        expect(await store.cacheGet(kept)).toBe('{"a":1}');
        store = await harness.reopen!(store);
        expect(await store.cacheGet(kept)).toBe('{"a":1}');
        await new Promise((r) => setTimeout(r, 150));
        expect(await store.cacheGet(short)).toBeUndefined();
      });
    }
  });
}
