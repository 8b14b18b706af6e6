/**
 * Admin API edges a new platform team hit (issue 21.8): edits the config file would silently revert are refused
 * (409 config_managed), model allow-lists are checked against the catalog and the team's own list, and
 * rotate/revoke take `content-type: application/json` with no body. (Rotation in place: admin-api.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-for-21-8-0123456789';
const { admin } = useAdminGateway(ADMIN);

describe('objects declared in the config file', () => {
  it('a team from the YAML is marked managedBy config and every edit is refused with 409 config_managed, nothing stored', async () => {
    const before = (await admin('GET', '/teams/other')).json;
    expect(before.managedBy).toBe('config');
    const edits: [string, string, unknown][] = [
      ['PATCH', '/teams/other', { name: 'renamed' }],
      ['PUT', '/teams/other/budgets', { budgets: [{ period: 'daily', usd: '1' }] }],
      ['PUT', '/teams/other/rate-limits', { rpm: 5 }],
      ['PUT', '/teams/other/allowed-models', { allowedModels: ['*'] }],
      ['PUT', '/teams/other/policy', { cache: { mode: 'on' } }],
      ['DELETE', '/teams/other', undefined],
    ];
    for (const [method, path, body] of edits) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.json.error).toMatchObject({ code: 'config_managed', type: 'invalid_request_error', param: 'id' });
      expect(res.json.error.message).toContain("Team 'other' is declared in the config file");
    }
    expect((await admin('GET', '/teams/other')).json).toEqual(before);
    // A team created through the API stays editable.
    expect((await admin('POST', '/teams', { id: 'api-team' })).json.managedBy).toBe('api');
    expect((await admin('PATCH', '/teams/api-team', { name: 'API team' })).json).toMatchObject({ name: 'API team', managedBy: 'api' });
  });

  it('a key from the YAML: name/budgets/limits/expiry and rotation refused (409), its model list and revocation allowed', async () => {
    expect((await admin('GET', '/keys/other')).json.managedBy).toBe('config');
    for (const body of [{ name: 'x' }, { budgets: [] }, { rateLimits: { rpm: 1 } }, { expiresAt: null }]) {
      const res = await admin('PATCH', '/keys/other', body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.json.error.code).toBe('config_managed');
    }
    const rotate = await admin('POST', '/keys/other/rotate', {});
    expect(rotate.status).toBe(409);
    expect(rotate.json.error.message).toMatch(/secret is in the file/);
    expect((await admin('PATCH', '/keys/other', { allowedModels: ['gpt-4o-mini'] })).json).toMatchObject({ allowedModels: ['gpt-4o-mini'] });
    expect((await admin('POST', '/keys/other/revoke')).json.state).toBe('revoked');
  });
});

describe('model allow-lists', () => {
  it("a typo ('gtp-4o') is refused with a 400 naming it and the field, wherever a list is set", async () => {
    const { id: keyId } = (await admin('POST', '/keys', { team: 'default' })).json;
    await admin('POST', '/teams', { id: 'typo-team' });
    const attempts: [string, string, unknown, string][] = [
      ['POST', '/teams', { id: 'typo', allowedModels: ['gpt-4o-mini', 'gtp-4o'] }, 'allowedModels.1'],
      ['PATCH', '/teams/typo-team', { allowedModels: ['gtp-4o'] }, 'allowedModels.0'],
      ['PUT', '/teams/typo-team/allowed-models', { allowedModels: ['gtp-4o'] }, 'allowedModels.0'],
      ['POST', '/keys', { team: 'default', allowedModels: ['gtp-4o'] }, 'allowedModels.0'],
      ['PATCH', `/keys/${keyId}`, { allowedModels: ['gtp-4o'] }, 'allowedModels.0'],
    ];
    for (const [method, path, body, param] of attempts) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_request', param });
      expect(res.json.error.message).toContain("Unknown model 'gtp-4o'");
      expect(res.json.error.message).toContain('gpt-4o-mini'); // the known names, to pick from
    }
    expect((await admin('GET', '/teams/typo')).status).toBe(404);
    // What the catalog knows is accepted: names, '*', provider/*, provider/<upstream id>.
    const ok = await admin('PUT', '/teams/typo-team/allowed-models', { allowedModels: ['gpt-4o-mini', 'anthropic/*', 'openai/gpt-4.1'] });
    expect(ok.status).toBe(200);
    expect((await admin('PUT', '/teams/typo-team/allowed-models', { allowedModels: ['nosuch/*'] })).status).toBe(400);
  });

  it("a key limited to a model its team does not allow is refused, naming the team's list", async () => {
    const res = await admin('POST', '/keys', { team: 'other', allowedModels: ['claude-haiku-4-5'] });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_request', param: 'allowedModels.0' });
    expect(res.json.error.message).toContain("team 'other' does not allow it (team allowedModels: gpt-4o-mini)");
    expect((await admin('POST', '/keys', { team: 'other', allowedModels: ['gpt-4o-mini'] })).status).toBe(201);
    const { id } = (await admin('POST', '/keys', { team: 'other' })).json;
    expect((await admin('PATCH', `/keys/${id}`, { allowedModels: ['claude-haiku-4-5'] })).status).toBe(400);
  });
});

describe('optional bodies', () => {
  it('rotate and revoke with content-type: application/json and no body are accepted (the body is optional)', async () => {
    const { id } = (await admin('POST', '/keys', { team: 'default' })).json;
    const post = (path: string) => admin('POST', path, undefined, { headers: { 'content-type': 'application/json' } });
    const rotated = await post(`/keys/${id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.json.id).toBe(id);
    const revoked = await post(`/keys/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.state).toBe('revoked');
    // A body that is there must still be JSON.
    const bad = await admin('POST', `/keys/${id}/rotate`, undefined, { rawBody: '{"grace' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_json');
  });
});
