/**
 * Issue 18.3 end to end: the pattern an attacker-minded admin (or a careless one) sets through the admin API is
 * matched in linear time, so one team's policy cannot make every team wait; what RE2 cannot express is refused
 * with a 400 naming the pattern.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { adminRequest } from '../helpers/admin-request.js';
import { baseConfig } from '../helpers/test-gateway.js';
import { configSchema } from '../../src/config/schema.js';
import { readTeamPolicy } from '../../src/config/policy.js';

const ADMIN = 'admin-token-for-redos-tests-0123456789';
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, { server: { adminToken: ADMIN } });
  // A team made through the API: teams the config file declares are not editable there (409 config_managed).
  await admin('POST', '/teams', { id: 'redos' });
  teamKey = (await admin('POST', '/keys', { team: 'redos' })).json.secret;
});
let teamKey: string;
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const admin = (method: string, path: string, body?: unknown) => adminRequest(gw.url, ADMIN, method, path, body);
const chat = (content: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${teamKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });

describe('admin-set prompt patterns cannot stall the gateway', () => {
  it('(a|aa)+$ is accepted and a hostile prompt is answered in milliseconds, the rule still applying', async () => {
    const set = await admin('PUT', '/teams/redos/policy', { guards: { prompt: { deny: ['(a|aa)+$', '(\\d|\\d\\d)+$'] } } });
    expect(set.status).toBe(200);
    for (const hostile of [`${'a'.repeat(38)}b`, `${'a'.repeat(100_000)}b`, `${'1'.repeat(100_000)}x`]) {
      const t0 = performance.now();
      const res = await chat(hostile);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      // The whole request, HTTP and pipeline included; the V8 RegExp took 4.1 s on the 39-character prompt alone.
      expect(performance.now() - t0).toBeLessThan(2000);
    }
    const denied = await chat('ends with aaa');
    expect(denied.status).toBe(400);
    expect((await denied.json()).error.code).toBe('prompt_denied');
  });

  it('lookaround and backreferences are refused with a 400 naming the pattern and why', async () => {
    const look = await admin('PUT', '/teams/redos/policy', { guards: { prompt: { allow: ['ok', '(?<!not )allowed'] } } });
    expect(look.status).toBe(400);
    expect(look.json.error).toMatchObject({ type: 'invalid_request_error', param: 'guards.prompt.allow.1' });
    expect(look.json.error.message).toContain('"(?<!not )allowed"');
    expect(look.json.error.message).toMatch(/lookahead\/lookbehind.*RE2/);
    const back = await admin('PUT', '/teams/redos/policy', { guards: { prompt: { deny: ['(\\w+) \\1'] } } });
    expect(back.status).toBe(400);
    expect(back.json.error.message).toMatch(/backreferences/);
  });

  it('a policy whose patterns together are too large to match quickly is refused', async () => {
    const big = Array.from({ length: 20 }, (_, i) => `${'x'.repeat(200)}${i}`);
    const res = await admin('PUT', '/teams/redos/policy', { guards: { prompt: { deny: big } } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/RE2 instructions/);
  });

  it('the config file is held to the same rules: a lookbehind in guards.prompt is refused at load, naming it', () => {
    const r = configSchema.safeParse(baseConfig(upstream, { extra: { guards: { prompt: { deny: ['ok', '(?<=top )secret'] } } } }));
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path.join('.')).toBe('guards.prompt.deny.1');
    expect(issue.message).toContain('"(?<=top )secret"');
    expect(issue.message).toMatch(/lookahead\/lookbehind/);
    expect(configSchema.safeParse(baseConfig(upstream, { extra: { guards: { prompt: { deny: ['(a|aa)+$'] } } } })).success).toBe(true);
  });

  it('a stored policy with a pattern RE2 refuses (from the V8-RegExp version) is reported and that list ignored', () => {
    const stored = { guards: { prompt: { deny: ['secret(?= plan)'], maxPromptChars: 5000 } } };
    const { policy, invalid } = readTeamPolicy(stored);
    expect(invalid).toEqual(['guards.prompt.deny']);
    expect(policy.guards?.prompt).toEqual({ maxPromptChars: 5000 });
  });
});
