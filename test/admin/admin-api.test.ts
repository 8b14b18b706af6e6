import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, TEST_KEY } from '../helpers/test-gateway.js';
import { adminRequest, useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const { env, admin, as } = useAdminGateway(ADMIN);

const ask = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user' as const, content: 'hello' }] });

describe('admin authentication', () => {
  it('refuses no token, a wrong token and a gateway key with 401 admin_unauthorized in the OpenAI envelope', async () => {
    const none = await as(undefined)('GET', '/teams');
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'admin_unauthorized' } });
    expect((await as('wrong')('GET', '/teams')).status).toBe(401);
    expect((await as(TEST_KEY)('GET', '/teams')).status).toBe(401);
    expect((await as(ADMIN + 'x')('GET', '/teams')).status).toBe(401);
    expect((await admin('GET', '/teams')).status).toBe(200);
  });

  it('is off (404 admin_disabled, saying how to enable it) when no admin token is configured', async () => {
    const other = await startTestGateway(env.upstream, { server: {} });
    try {
      const res = await adminRequest(other.url, '', 'GET', '/teams');
      expect(res.status).toBe(404);
      const { error } = res.json;
      expect(error.code).toBe('admin_disabled');
      expect(error.message).toContain('GATEWAY_ADMIN_TOKEN');
    } finally {
      await other.close();
    }
  });
});

describe('teams', () => {
  it('creates, reads, lists, updates and deletes a team', async () => {
    const created = await admin('POST', '/teams', { id: 'research', name: 'Research', budgets: [{ period: 'monthly', usd: '250.5' }], rateLimits: { rpm: 100 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'research', name: 'Research', allowedModels: ['*'], budgets: [{ period: 'monthly', usd: '250.500000', usdMicros: 250_500_000 }], rateLimits: { rpm: 100 } });
    expect((await admin('POST', '/teams', { id: 'research' })).json.error.code).toBe('already_exists');
    expect((await admin('GET', '/teams/research')).json.name).toBe('Research');
    expect((await admin('GET', '/teams')).json.data.map((t: any) => t.id)).toEqual(expect.arrayContaining(['default', 'other', 'research']));
    const patched = await admin('PATCH', '/teams/research', { name: 'R&D', rateLimits: null, policy: { cache: { mode: 'on', ttlSeconds: 60 } } });
    expect(patched.json).toMatchObject({ name: 'R&D', rateLimits: null, policy: { cache: { mode: 'on', ttlSeconds: 60 } }, budgets: [{ usd: '250.500000' }] });
    expect((await admin('DELETE', '/teams/research')).json).toEqual({ id: 'research', object: 'team', deleted: true });
    const gone = await admin('GET', '/teams/research');
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('not_found');
  });

  it('validates input and names the bad field', async () => {
    const bad = await admin('POST', '/teams', { id: 'x y' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'id' });
    const budget = await admin('POST', '/teams', { id: 'b', budgets: [{ period: 'hourly', usd: 1 }] });
    expect(budget.json.error.param).toBe('budgets.0.period');
    const noLimit = await admin('POST', '/teams', { id: 'b', budgets: [{ period: 'daily' }] });
    expect(noLimit.status).toBe(400);
    const policy = await admin('PUT', '/teams/default/policy', { guards: { pii: { defaultAction: 'explode' } } });
    expect(policy.status).toBe(400);
    expect(policy.json.error.param).toBe('guards.pii.defaultAction');
    // A pattern the prompt guard would refuse is refused here, not by every later request of the team. Patterns
    // are RE2 syntax: lookaround and backreferences (no linear-time match) are refused, naming the pattern.
    for (const pattern of ['secret(?= plan)', '[unclosed', '(\\w+) \\1']) {
      const guard = await admin('PUT', '/teams/default/policy', { guards: { prompt: { deny: [pattern] } } });
      expect(guard.status).toBe(400);
      expect(guard.json.error.param).toBe('guards.prompt.deny.0');
      expect(guard.json.error.message).toContain(JSON.stringify(pattern));
    }
    expect((await env.gw.client().chat.completions.create(ask())).choices).toHaveLength(1);
    const unknown = await admin('POST', '/teams', { id: 'b', colour: 'red' });
    expect(unknown.status).toBe(400);
    const notJson = await admin('POST', '/teams', undefined, { rawBody: '{' });
    expect(notJson.json.error.code).toBe('invalid_json');
  });

  it('applies allowed models to the next request', async () => {
    await admin('POST', '/teams', { id: 'narrow', allowedModels: ['*'] });
    const { secret } = (await admin('POST', '/keys', { team: 'narrow' })).json;
    const client = env.gw.client({ apiKey: secret });
    await client.chat.completions.create(ask('claude-haiku-4-5'));
    expect((await admin('PUT', '/teams/narrow/allowed-models', { allowedModels: ['gpt-4o-mini'] })).status).toBe(200);
    const err = await client.chat.completions.create(ask('claude-haiku-4-5')).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('model_not_allowed');
    await client.chat.completions.create(ask('gpt-4o-mini'));
  });
});

describe('keys', () => {
  it('shows the secret once; the key works for chat at once; the list never shows secrets', async () => {
    const created = await admin('POST', '/keys', { team: 'default', name: 'ci bot', expiresAt: '2099-01-01T00:00:00Z' });
    expect(created.status).toBe(201);
    const { id, secret, prefix } = created.json;
    expect(secret).toMatch(/^gw-[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(prefix)).toBe(true);
    expect(created.json).toMatchObject({ team: 'default', name: 'ci bot', state: 'active', expiresAt: '2099-01-01T00:00:00.000Z', lastUsedAt: null });
    const answer = await env.gw.client({ apiKey: secret }).chat.completions.create(ask());
    expect(answer.choices[0].message.content).toBeTruthy();

    const listed = await admin('GET', '/keys?team=default');
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toMatch(/[0-9a-f]{64}/); // no hashes either
    const row = listed.json.data.find((k: any) => k.id === id);
    expect(row).toMatchObject({ id, prefix, name: 'ci bot', team: 'default', state: 'active', createdAt: expect.any(String), expiresAt: '2099-01-01T00:00:00.000Z' });
    await new Promise((r) => setTimeout(r, 20));
    expect((await admin('GET', `/keys/${id}`)).json.lastUsedAt).toEqual(expect.any(String));
    expect((await admin('GET', `/keys/${id}`)).text).not.toContain(secret);
  });

  it('revocation takes effect on the next request (401)', async () => {
    const { id, secret } = (await admin('POST', '/keys', { team: 'default' })).json;
    const client = env.gw.client({ apiKey: secret });
    await client.chat.completions.create(ask());
    const revoked = await admin('POST', `/keys/${id}/revoke`);
    expect(revoked.json.state).toBe('revoked');
    await expect(client.chat.completions.create(ask())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await admin('POST', `/keys/${id}/revoke`)).status).toBe(200); // idempotent
  });

  it('rotates in place: same key id, budgets and usage; the new secret works, the old one stops (at once, or after the grace period)', async () => {
    const first = (await admin('POST', '/keys', { team: 'default', name: 'svc', budgets: [{ period: 'daily', tokens: 100000 }] })).json;
    await env.gw.client({ apiKey: first.secret }).chat.completions.create(ask());
    const rotated = await admin('POST', `/keys/${first.id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ id: first.id, name: 'svc', team: 'default', state: 'active', budgets: [{ period: 'daily', tokens: 100000 }] });
    expect(rotated.json.prefix).not.toBe(first.prefix);
    await env.gw.client({ apiKey: rotated.json.secret }).chat.completions.create(ask());
    await expect(env.gw.client({ apiKey: first.secret }).chat.completions.create(ask())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    // One key: its budget counts both secrets' requests, and the ledger has one row for it.
    const status = (await admin('GET', `/keys/${first.id}/budget-status`)).json.data[0];
    expect(status.spentTokens).toBeGreaterThan(0);
    const usage = (await admin('GET', `/usage?key=${first.id}&groupBy=key`)).json.data;
    expect(usage.reduce((n: number, r: any) => n + r.requests, 0)).toBe(2);
    expect((await admin('GET', '/keys?team=default')).json.data.filter((k: any) => k.name === 'svc')).toHaveLength(1);

    const graced = await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 3600 });
    expect(graced.json.id).toBe(first.id);
    await env.gw.client({ apiKey: rotated.json.secret }).chat.completions.create(ask()); // still valid during the grace period
    await env.gw.client({ apiKey: graced.json.secret }).chat.completions.create(ask());
    expect((await admin('GET', `/keys/${first.id}`)).json).toMatchObject({ state: 'active', previousSecret: { prefix: rotated.json.prefix, validUntil: graced.json.previousSecretValidUntil } });
    // A rotation with graceSeconds 0 (the secret leaked) ends every older secret now.
    const cut = await admin('POST', `/keys/${first.id}/rotate`, { graceSeconds: 0 });
    for (const old of [rotated.json.secret, graced.json.secret]) {
      await expect(env.gw.client({ apiKey: old }).chat.completions.create(ask())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    }
    await env.gw.client({ apiKey: cut.json.secret }).chat.completions.create(ask());
    // An explicit revoke ends the key, whatever secret.
    await admin('POST', `/keys/${first.id}/revoke`);
    await expect(env.gw.client({ apiKey: cut.json.secret }).chat.completions.create(ask())).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('updates a key and 404s unknown ones', async () => {
    const { id } = (await admin('POST', '/keys', { team: 'other', expiresAt: Date.now() + 86_400_000 })).json;
    const patched = await admin('PATCH', `/keys/${id}`, { name: 'renamed', expiresAt: null, rateLimits: { rpm: 5 }, allowedModels: ['gpt-4o-mini'] });
    expect(patched.json).toMatchObject({ name: 'renamed', expiresAt: null, rateLimits: { rpm: 5 }, allowedModels: ['gpt-4o-mini'] });
    expect((await admin('GET', '/keys/nope')).status).toBe(404);
    expect((await admin('POST', '/keys', { team: 'nope' })).status).toBe(404);
  });

  it('a key budget set through the API applies to the next request', async () => {
    const { id, secret } = (await admin('POST', '/keys', { team: 'default' })).json;
    const client = env.gw.client({ apiKey: secret });
    await client.chat.completions.create(ask());
    await admin('PATCH', `/keys/${id}`, { budgets: [{ period: 'daily', tokens: 1 }] });
    const err = await client.chat.completions.create(ask()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('budget_exceeded');
    const status = await admin('GET', `/keys/${id}/budget-status`);
    expect(status.json.data).toEqual([
      expect.objectContaining({ scope: `key:${id}`, period: 'daily', limitTokens: 1, resetsAt: expect.stringMatching(/T00:00:00.000Z$/) }),
    ]);
  });
});

describe('budgets and usage', () => {
  it('reports team budget status with what remains and when it resets', async () => {
    await admin('POST', '/teams', { id: 'fin', budgets: [{ period: 'monthly', usd: '10' }, { period: 'daily', tokens: 5000 }] });
    const store = env.gw.runtime.store;
    const scopes = [{ scope: 'team:fin' as const, budgets: (await store.getTeam('fin'))!.budgets }];
    await store.reserve({ requestId: 'r1', teamId: 'fin', scopes, costMicros: 2_000_000, tokens: 1000, leaseMs: 60_000 });
    await store.settle({ requestId: 'r1', teamId: 'fin', costMicros: 1_250_000, tokens: 700 });
    const { json } = await admin('GET', '/teams/fin/budget-status');
    const monthly = json.data.find((b: any) => b.period === 'monthly');
    const daily = json.data.find((b: any) => b.period === 'daily');
    expect(monthly).toMatchObject({ limitUsd: '10.000000', spentUsd: '1.250000', remainingUsd: '8.750000', resetsAt: expect.stringMatching(/-01T00:00:00.000Z$/) });
    expect(daily).toMatchObject({ limitTokens: 5000, spentTokens: 700, remainingTokens: 4300 });
  });

  it('answers usage queries by dimension and granularity, and exports CSV', async () => {
    const store = env.gw.runtime.store;
    const base = Date.UTC(2025, 0, 10, 9);
    const rec = (h: number, teamId: string, keyId: string, model: string, costMicros: number, promptTokens: number) =>
      store.recordUsage({ at: base + h * 3_600_000, teamId, keyId, model, provider: model.startsWith('gpt') ? 'openai' : 'anthropic', requests: 1, promptTokens, completionTokens: 10, cachedTokens: 0, costMicros, cacheHits: 0, savedMicros: 0, errors: 0, guardBlocks: 0 });
    await rec(0, 'u1', 'k1', 'gpt-4o-mini', 1000, 100);
    await rec(1, 'u1', 'k1', 'gpt-4o-mini', 2000, 200);
    await rec(1, 'u1', 'k2', 'claude-haiku-4-5', 5000, 50);
    await rec(30, 'u2', 'k3', 'gpt-4o-mini', 7000, 70);
    const range = `from=${new Date(base).toISOString()}&to=${new Date(base + 48 * 3_600_000).toISOString()}`;

    const byTeamDay = await admin('GET', `/usage?${range}&granularity=day&groupBy=team`);
    expect(byTeamDay.json.data).toEqual([
      expect.objectContaining({ bucket: '2025-01-10T00:00:00.000Z', team: 'u1', requests: 3, promptTokens: 350, costMicros: 8000, costUsd: '0.008000' }),
      expect.objectContaining({ bucket: '2025-01-11T00:00:00.000Z', team: 'u2', requests: 1, costMicros: 7000 }),
    ]);
    const hourly = await admin('GET', `/usage?${range}&granularity=hour&team=u1&groupBy=model`);
    expect(hourly.json.data.map((r: any) => [r.bucket.slice(11, 13), r.model, r.costMicros])).toEqual([
      ['09', 'gpt-4o-mini', 1000],
      ['10', 'claude-haiku-4-5', 5000],
      ['10', 'gpt-4o-mini', 2000],
    ]);
    const byProvider = await admin('GET', `/usage?${range}&provider=anthropic&groupBy=key`);
    expect(byProvider.json.data).toEqual([expect.objectContaining({ key: 'k2', costMicros: 5000 })]);

    const csv = await admin('GET', `/usage.csv?${range}&granularity=day&groupBy=team,model`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="usage-2025-01-10-2025-01-12.csv"/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('bucket,team,model,requests,promptTokens,completionTokens,cachedTokens,costMicros,cacheHits,savedMicros,errors,guardBlocks,totalTokens,costUsd,savedUsd');
    expect(lines.slice(1)).toEqual([
      '2025-01-10T00:00:00.000Z,u1,claude-haiku-4-5,1,50,10,0,5000,0,0,0,0,60,0.005000,0.000000',
      '2025-01-10T00:00:00.000Z,u1,gpt-4o-mini,2,300,20,0,3000,0,0,0,0,320,0.003000,0.000000',
      '2025-01-11T00:00:00.000Z,u2,gpt-4o-mini,1,70,10,0,7000,0,0,0,0,80,0.007000,0.000000',
    ]);
    expect((await admin('GET', `/usage?${range}&format=csv`)).text.split('\r\n')[0]).toMatch(/^bucket,requests,/);
    expect((await admin('GET', `/usage?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z`)).json.error.param).toBe('from');
    expect((await admin('GET', `/usage?groupBy=colour`)).status).toBe(400);
  });

  it('publishes an OpenAPI document of every route', async () => {
    const { json } = await admin('GET', '/openapi.json');
    expect(json.openapi).toBe('3.1.0');
    expect(Object.keys(json.paths)).toEqual(expect.arrayContaining(['/admin/teams', '/admin/teams/{id}', '/admin/keys', '/admin/keys/{id}/rotate', '/admin/usage', '/admin/usage.csv']));
    expect(json.paths['/admin/keys'].post.requestBody.content['application/json'].schema.properties.team).toBeDefined();
    expect(json.paths['/admin/usage'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'granularity', 'groupBy']));
  });
});
