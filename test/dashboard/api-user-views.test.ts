/**
 * Spend by the API a request came in through, by the end user a client named and by a metadata tag (issues 19.6,
 * 21.4), from real
 * requests through the gateway: the ledger keeps both, the dashboard shows them, the usage API groups by them.
 */
import { describe, expect, it } from 'vitest';
import { TEST_KEY, useTestGateway } from '../helpers/test-gateway.js';

describe('spend by API and by end user', () => {
  const env = useTestGateway({ server: { adminToken: 'admin-token-0123456789abcdef0123' }, state: { usageTag: 'project' } });
  const post = (path: string, body: object) =>
    fetch(`${env.gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

  it('records chat, messages and embeddings requests apart, and the end users they name', async () => {
    await env.gw.client().chat.completions.create({ model: 'gpt-4o-mini', user: 'alice', messages: [{ role: 'user', content: 'hi' }] });
    await env.gw.client().chat.completions.create({ model: 'gpt-4o-mini', user: 'alice', metadata: { project: 'apollo' }, messages: [{ role: 'user', content: 'again' }] });
    await post('/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 20, metadata: { user_id: 'bob' }, messages: [{ role: 'user', content: 'hi' }] });
    await env.gw.client().embeddings.create({ model: 'text-embedding-3-small', input: 'a sentence' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));

    const summary = await fetch(`${env.gw.url}/dashboard/api/summary?days=1`, { headers: { authorization: `Bearer ${TEST_KEY}` } }).then((r) => r.json());
    const apis = Object.fromEntries(summary.apis.map((a: { api: string; requests: number }) => [a.api, a.requests]));
    expect(apis).toMatchObject({ chat: 2, messages: 1 });
    expect(summary.endUsers.map((u: { user: string; requests: number }) => [u.user, u.requests]).sort()).toEqual([['alice', 2], ['bob', 1]]);
    expect(summary.tags.map((t: { tag: string; requests: number }) => [t.tag, t.requests])).toEqual([['apollo', 1]]);

    const usage = await fetch(`${env.gw.url}/admin/usage?groupBy=api,user&granularity=day`, { headers: { authorization: 'Bearer admin-token-0123456789abcdef0123' } }).then((r) => r.json());
    const rows = usage.data.map((r: { api: string; user: string; requests: number }) => [r.api, r.user, r.requests]);
    expect(rows).toEqual(expect.arrayContaining([['chat', 'alice', 2], ['messages', 'bob', 1]]));
    const tagged = await fetch(`${env.gw.url}/admin/usage?tag=apollo&groupBy=tag`, { headers: { authorization: 'Bearer admin-token-0123456789abcdef0123' } }).then((r) => r.json());
    expect(tagged.data.map((r: { tag: string; requests: number }) => [r.tag, r.requests])).toEqual([['apollo', 1]]);
  });
});
