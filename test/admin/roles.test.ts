/**
 * Roles in the admin API (issue 21.2): the gateway admin (admin token) does everything; a team admin (a key with
 * role team_admin) manages its own team's keys within the team's limits and reads its usage and audit trail,
 * never teams and never another team (404); a viewer key gets no admin API at all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY } from '../helpers/test-gateway.js';
import { useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-for-roles-0123456789';
const { admin, as } = useAdminGateway(ADMIN);
let lead: string; // the team admin key of team "payments"

beforeAll(async () => {
  await admin('POST', '/teams', { id: 'payments', budgets: [{ period: 'daily', usd: '10' }], rateLimits: { rpm: 100 } });
  await admin('POST', '/teams', { id: 'search' });
  await admin('POST', '/keys', { team: 'search', id: 'search-key' });
  lead = (await admin('POST', '/keys', { team: 'payments', id: 'payments-lead', role: 'team_admin' })).json.secret;
});

describe('team admin', () => {
  it("manages its own team's keys: create (secret once), change within the team's limits, rotate, revoke", async () => {
    const ta = as(lead);
    const created = await ta('POST', '/keys', { team: 'payments', name: 'checkout', budgets: [{ period: 'daily', usd: '2' }], rateLimits: { rpm: 50 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ team: 'payments', role: 'member', secret: expect.stringMatching(/^gw-/) });
    const id = created.json.id;
    expect((await ta('PATCH', `/keys/${id}`, { budgets: [{ period: 'daily', usd: '5' }] })).status).toBe(200);
    const rotated = await ta('POST', `/keys/${id}/rotate`, {});
    expect(rotated.json.id).toBe(id);
    expect((await ta('GET', '/keys')).json.data.map((k: any) => k.team)).toEqual(expect.arrayContaining(['payments']));
    expect(new Set((await ta('GET', '/keys')).json.data.map((k: any) => k.team))).toEqual(new Set(['payments']));
    expect((await ta('GET', '/teams')).json.data.map((t: any) => t.id)).toEqual(['payments']);
    expect((await ta('GET', '/teams/payments/budget-status')).status).toBe(200);
    expect((await ta('GET', '/usage?groupBy=team')).status).toBe(200);
    expect((await ta('POST', `/keys/${id}/revoke`)).json.state).toBe('revoked');
    // Its changes are in the audit trail under its own credential, and it sees its team's trail only.
    const trail = (await ta('GET', '/audit')).json.data;
    expect(trail.map((e: any) => e.team)).toEqual(trail.map(() => 'payments'));
    expect(trail.find((e: any) => e.action === 'key.rotate').actor).toMatchObject({ role: 'team_admin', credential: 'key:payments-lead', team: 'payments' });
  });

  it("cannot exceed the team's limits, issue team admin keys, change roles or touch teams (403 admin_forbidden)", async () => {
    const ta = as(lead);
    const over = await ta('POST', '/keys', { team: 'payments', budgets: [{ period: 'daily', usd: '11' }] });
    expect(over.status).toBe(403);
    expect(over.json.error).toMatchObject({ code: 'admin_forbidden', param: 'budgets.0.usd' });
    expect((await ta('POST', '/keys', { team: 'payments', rateLimits: { rpm: 101 } })).json.error.code).toBe('admin_forbidden');
    expect((await ta('POST', '/keys', { team: 'payments', role: 'team_admin' })).json.error.code).toBe('admin_forbidden');
    const { id } = (await ta('POST', '/keys', { team: 'payments' })).json;
    expect((await ta('PATCH', `/keys/${id}`, { role: 'team_admin' })).status).toBe(403);
    for (const [m, p, b] of [
      ['POST', '/teams', { id: 'mine' }],
      ['PATCH', '/teams/payments', { name: 'x' }],
      ['PUT', '/teams/payments/budgets', { budgets: [] }],
      ['DELETE', '/teams/payments', undefined],
    ] as const) {
      const res = await ta(m, p, b);
      expect(res.status, `${m} ${p}`).toBe(403);
      expect(res.json.error.type).toBe('permission_error');
    }
    expect((await admin('GET', '/teams/payments')).json.budgets[0].usd).toBe('10.000000'); // unchanged
  });

  it("sees nothing of another team: its keys, budget status, usage and audit are 404 (ids cannot be probed)", async () => {
    const ta = as(lead);
    for (const p of ['/teams/search', '/teams/search/keys', '/teams/search/budget-status', '/keys/search-key', '/keys?team=search', '/usage?team=search', '/audit?team=search']) {
      expect((await ta('GET', p)).status, p).toBe(404);
    }
    for (const [m, p] of [['POST', '/keys/search-key/revoke'], ['POST', '/keys/search-key/rotate'], ['PATCH', '/keys/search-key']] as const) {
      expect((await ta(m, p, m === 'PATCH' ? { name: 'x' } : {})).status, `${m} ${p}`).toBe(404);
    }
    expect((await ta('POST', '/keys', { team: 'search' })).status).toBe(404);
    expect((await admin('GET', '/keys/search-key')).json.state).toBe('active');
  });
});

describe('viewer keys and revoked team admins', () => {
  it('a member key gets 401 on the admin API; a revoked team admin key too', async () => {
    expect((await as(TEST_KEY)('GET', '/teams')).status).toBe(401);
    const temp = (await admin('POST', '/keys', { team: 'payments', role: 'team_admin' })).json;
    expect((await as(temp.secret)('GET', '/teams')).status).toBe(200);
    await admin('POST', `/keys/${temp.id}/revoke`);
    const res = await as(temp.secret)('GET', '/teams');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('admin_unauthorized');
  });
});
