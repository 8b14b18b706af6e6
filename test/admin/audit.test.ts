/**
 * The admin audit trail (issue 21.3): every change through the admin API — who, what, before/after without
 * secrets, when, from where — stored (both stores: test/state/state-store.contract.ts), listed with filters,
 * exported as JSON lines, and written as a log line.
 */
import { describe, expect, it } from 'vitest';
import { hashKey } from '../../src/auth/keys.js';
import { adminRequest, useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-for-audit-tests-0123456789';
const { env } = useAdminGateway(ADMIN);

// Every change names its person and client, which the trail must record.
const audited = { headers: { 'x-audit-actor': 'ana@example.com', 'user-agent': 'audit-test/1' } };
const admin = (method: string, path: string, body?: unknown) => adminRequest(env.gw.url, ADMIN, method, path, body, audited);

describe('admin audit trail', () => {
  it('records who, what, before/after (no secrets), when and from where for every change; lists, filters, exports, logs', async () => {
    const t0 = Date.now();
    await admin('POST', '/teams', { id: 'audited', budgets: [{ period: 'daily', usd: '5' }] });
    await admin('PUT', '/teams/audited/budgets', { budgets: [{ period: 'daily', usd: '7' }] });
    const key = (await admin('POST', '/keys', { team: 'audited', name: 'svc' })).json;
    const rotated = (await admin('POST', `/keys/${key.id}/rotate`, { graceSeconds: 60 })).json;
    await admin('POST', `/keys/${key.id}/revoke`);
    await admin('POST', `/keys/${key.id}/revoke`); // a repeat changes nothing: no entry
    await admin('GET', '/teams/audited'); // reads are not changes
    await admin('PATCH', '/teams/other', { name: 'x' }); // refused (409): nothing changed, no entry

    const list = await admin('GET', '/audit?team=audited');
    expect(list.status).toBe(200);
    const entries = list.json.data;
    expect(entries.map((e: any) => e.action)).toEqual(['key.revoke', 'key.rotate', 'key.create', 'team.update', 'team.create']);
    const [revoke, rotate, create, update] = entries;
    expect(update).toMatchObject({
      actor: { role: 'admin', credential: expect.stringMatching(/^admin-token:[0-9a-f]{8}$/), name: 'ana@example.com' },
      target: { type: 'team', id: 'audited' },
      team: 'audited',
      before: { budgets: [{ usd: '5.000000' }] },
      after: { budgets: [{ usd: '7.000000' }] },
      ip: '127.0.0.1',
      userAgent: 'audit-test/1',
      requestId: expect.any(String),
    });
    expect(Date.parse(update.at)).toBeGreaterThanOrEqual(t0);
    expect(create).toMatchObject({ target: { type: 'key', id: key.id }, before: null, after: { name: 'svc', state: 'active' } });
    expect(rotate.before.prefix).toBe(key.prefix);
    expect(rotate.after.prefix).toBe(rotated.prefix);
    expect(revoke.after.state).toBe('revoked');
    // No secret, no hash, and not the admin token anywhere in the trail.
    for (const secret of [key.secret, rotated.secret, hashKey(key.secret), hashKey(rotated.secret), ADMIN]) expect(list.text).not.toContain(secret);

    // Filters.
    expect((await admin('GET', `/audit?target=${key.id}&action=key.rotate`)).json.data.map((e: any) => e.action)).toEqual(['key.rotate']);
    expect((await admin('GET', '/audit?team=audited&limit=2')).json.data).toHaveLength(2);
    expect((await admin('GET', '/audit?actor=ana@example.com&team=audited')).json.data).toHaveLength(5);
    expect((await admin('GET', `/audit?team=audited&to=${t0}`)).json.data).toHaveLength(0);
    expect((await admin('GET', '/audit?action=nonsense')).status).toBe(400);

    // Export: JSON lines, one entry per line, times in epoch ms as stored.
    const jsonl = await admin('GET', '/audit?team=audited&format=jsonl');
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = jsonl.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(entries.map((e: any) => e.action));
    expect(typeof lines[0].at).toBe('number');

    // The log line, one per change.
    const logged = env.gw.logs.filter((l) => l.msg === 'admin change' && l.audit.team === 'audited');
    expect(logged.map((l) => l.audit.action).sort()).toEqual(['key.create', 'key.revoke', 'key.rotate', 'team.create', 'team.update']);
    for (const secret of [key.secret, rotated.secret]) expect(JSON.stringify(logged)).not.toContain(secret);
  });
});
