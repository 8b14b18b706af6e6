/**
 * docs/templates.md's copy-paste example, run as written: the admin request bodies are read from the doc's bash
 * block, the client calls are the doc's TypeScript (same prompt object, same calls).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adminRequest } from '../helpers/admin-request.js';
import { useTestGateway } from '../helpers/test-gateway.js';

const ADMIN = 'admin-token-for-templates-doc-0123456789';
const doc = readFileSync(new URL('../../docs/templates.md', import.meta.url), 'utf8');
const bodies = [...doc.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((m) => JSON.parse(m[1]!));
const env = useTestGateway({ server: { adminToken: ADMIN } });

describe('docs/templates.md example', () => {
  it('create + publish, use from chat and responses, new version, publish, roll back', async () => {
    expect(bodies).toHaveLength(2);
    const admin = (method: string, path: string, body?: unknown) => adminRequest(env.gw.url, ADMIN, method, path, body);
    const client = env.gw.client();
    const prompt = { id: 'support-reply', variables: { product: 'Acme Router', question: 'Where is my order?' } };
    const both = async () => [(await client.responses.create({ prompt })).output_text, (await client.chat.completions.create({ prompt } as any)).choices[0]!.message.content];

    expect((await admin('POST', '/templates', bodies[0])).status).toBe(201);
    expect(await both()).toEqual(Array(2).fill('Hello from gpt-4o-mini: Reply in French to: Where is my order?'));
    expect(env.upstream.requests.at(-1)!.body).toMatchObject({ temperature: 0.2, max_completion_tokens: 300 });
    expect(env.upstream.requests.at(-1)!.body.messages[0]).toEqual({ role: 'system', content: 'You are a support agent for Acme Router. Be brief.' });

    expect((await admin('POST', '/templates/support-reply/versions', bodies[1])).json).toMatchObject({ version: 2, status: 'draft' });
    // A draft is tried by naming it; the published version is unchanged meanwhile.
    expect((await client.responses.create({ prompt: { ...prompt, version: '2' } })).output_text).toBe('Hello from claude-haiku-4-5: Reply in German to: Where is my order?');
    expect((await both())[0]).toContain('French');
    await admin('POST', '/templates/support-reply/versions/2/publish');
    expect(await both()).toEqual(Array(2).fill('Hello from claude-haiku-4-5: Reply in German to: Where is my order?'));
    await admin('POST', '/templates/support-reply/rollback');
    expect(await both()).toEqual(Array(2).fill('Hello from gpt-4o-mini: Reply in French to: Where is my order?'));
  });
});
