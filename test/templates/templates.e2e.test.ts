/**
 * Managed prompt templates end to end (docs/templates.md): created, versioned, published and rolled back through
 * /admin/templates; used by the official OpenAI SDK through the Responses API's `prompt` and the same object in a
 * chat body; the published version changes what the same client code gets, without a client change. Variables,
 * guards, team scoping, OpenAI stored-prompt ids, the log line and the Prometheus series.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../helpers/admin-request.js';
import { OTHER_TEAM_KEY, startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';

const ADMIN = 'admin-token-for-templates-0123456789';
const GUARDED_KEY = 'gw-guarded-team-key-0123456789abcdefghijklmn';
const METRICS = 'metrics-token-for-templates';

let upstream: FakeUpstream;
let gw: TestGateway;
let lead: string;
const admin = (method: string, path: string, body?: unknown) => adminRequest(gw.url, ADMIN, method, path, body);
const as = (token: string) => (method: string, path: string, body?: unknown) => adminRequest(gw.url, token, method, path, body);
const lastUpstream = () => upstream.requests.at(-1)!;
const lastLog = () => gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
const post = (path: string, body: unknown, key = TEST_KEY) =>
  fetch(`${gw.url}/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  gw = await startTestGateway(upstream, {
    server: { adminToken: ADMIN, metrics: { token: METRICS } },
    providers: { native: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-native', timeouts, responsesApi: true } },
    models: { 'gpt-5-native': { provider: 'native', upstream: 'gpt-5', price: { input: '1.25', output: '10' }, contextWindow: 400000 } },
    teams: {
      default: { allowedModels: ['*'] },
      other: { allowedModels: ['*'] },
      guarded: {
        allowedModels: ['*'],
        policy: { guards: { prompt: { deny: ['\\bproject zeus\\b'], roles: ['system', 'user'] }, pii: { enabled: true, defaultAction: 'redact' } } },
      },
    },
    keys: [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
      { id: 'guarded', team: 'guarded', key: GUARDED_KEY },
    ],
  });
  lead = (await admin('POST', '/keys', { team: 'default', id: 'default-lead', role: 'team_admin' })).json.secret;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('versions through the admin API', () => {
  it('creates a draft, serves drafts only when named, publishes, freezes published versions and rolls back', async () => {
    const created = await admin('POST', '/templates', {
      id: 'greeter',
      team: 'default',
      description: 'Says hello',
      messages: [{ role: 'system', content: 'You greet {{ name }} politely.' }, { role: 'user', content: 'Greet {{name}} from {{city}}' }],
      model: 'gpt-4o-mini',
      params: { temperature: 0.2, max_tokens: 64 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'greeter', team: 'default', published: null, latest: 1, versions: [{ version: 1, status: 'draft', variables: ['city', 'name'] }] });

    const variables = { name: 'Ada', city: 'Paris' };
    const unpublished = await post('chat/completions', { prompt: { id: 'greeter', variables } });
    expect(unpublished.status).toBe(400);
    expect((await unpublished.json()).error).toMatchObject({ code: 'invalid_request', param: 'prompt.version', message: expect.stringContaining('no published version') });
    // A draft is usable when named (to try it before publishing).
    expect((await post('chat/completions', { prompt: { id: 'greeter', version: '1', variables } })).status).toBe(200);

    expect((await admin('POST', '/templates/greeter/versions/1/publish')).json).toMatchObject({ published: 1, versions: [{ status: 'published' }] });
    const frozen = await admin('PATCH', '/templates/greeter/versions/1', { note: 'x' });
    expect(frozen.status).toBe(409);
    expect(frozen.json.error.code).toBe('template_conflict');

    const v2 = await admin('POST', '/templates/greeter/versions', { messages: [{ role: 'user', content: 'Hi {{name}}' }] });
    expect(v2.status).toBe(201);
    expect(v2.json).toMatchObject({ template: 'greeter', version: 2, status: 'draft', variables: ['name'], model: null });
    expect((await admin('PATCH', '/templates/greeter/versions/2', { messages: [{ role: 'user', content: 'Hello {{name}} in {{city}}' }], model: 'claude-haiku-4-5' })).json)
      .toMatchObject({ version: 2, variables: ['city', 'name'], model: 'claude-haiku-4-5' });
    expect((await admin('POST', '/templates/greeter/rollback', { version: 2 })).status).toBe(409); // never published
    await admin('POST', '/templates/greeter/versions/2/publish');
    const back = await admin('POST', '/templates/greeter/rollback', {});
    expect(back.json).toMatchObject({ published: 1, history: [{ version: 1 }, { version: 2 }, { version: 1 }] });
    expect(back.json.versions.map((v: any) => v.status)).toEqual(['published', 'previous']);

    const preview = await admin('POST', '/templates/greeter/render', { variables });
    expect(preview.json.messages).toEqual([{ role: 'system', content: 'You greet Ada politely.' }, { role: 'user', content: 'Greet Ada from Paris' }]);
    const audit = await admin('GET', '/audit?target=greeter');
    expect(audit.json.data.map((e: any) => e.action)).toEqual(
      expect.arrayContaining(['template.create', 'template.publish', 'template.add_version', 'template.edit_draft', 'template.rollback']),
    );
  });

  it('refuses bad input with 400s that name the field', async () => {
    const r1 = await admin('POST', '/templates', { id: 'pmpt_abc', messages: [{ role: 'user', content: 'x' }] });
    expect(r1.status).toBe(400);
    const r2 = await admin('POST', '/templates', { id: 't-model', messages: [{ role: 'user', content: 'x' }], model: 'gtp-4o' });
    expect(r2.status).toBe(400);
    expect(r2.json.error.message).toContain("Unknown model 'gtp-4o'");
    const r3 = await admin('POST', '/templates', { id: 't-role', messages: [{ role: 'tool', content: 'x' }] });
    expect(r3.status).toBe(400);
    expect((await admin('POST', '/templates', { id: 'greeter', messages: [{ role: 'user', content: 'x' }] })).status).toBe(409);
    expect((await admin('GET', '/templates/nope')).status).toBe(404);
    expect((await admin('GET', '/templates/greeter/versions/abc')).status).toBe(400);
    expect((await admin('GET', '/templates/greeter/versions/99')).status).toBe(404);
  });
});

describe('clients with the official OpenAI SDK', () => {
  it('publish v1, request, publish v2: the same client code gets v2; rollback: v1 again (chat and responses)', async () => {
    await admin('POST', '/templates', {
      id: 'support-reply',
      messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: 'Reply in French to: {{question}}' }],
      model: 'gpt-4o-mini',
      publish: true,
    });
    const client = gw.client();
    // The client's code, unchanged through the whole test: it names the template, never a version or a model.
    const viaChat = async () => {
      const r = await client.chat.completions.create({ prompt: { id: 'support-reply', variables: { question: 'Where is my order?' } } } as never as OpenAI.ChatCompletionCreateParamsNonStreaming);
      return r.choices[0]!.message.content;
    };
    const viaResponses = async () => (await client.responses.create({ prompt: { id: 'support-reply', variables: { question: 'Where is my order?' } } })).output_text;

    expect(await viaChat()).toBe('Hello from gpt-4o-mini: Reply in French to: Where is my order?');
    expect(lastUpstream().body.messages).toEqual([
      { role: 'system', content: 'You are a support agent.' },
      { role: 'user', content: 'Reply in French to: Where is my order?' },
    ]);
    expect(await viaResponses()).toBe('Hello from gpt-4o-mini: Reply in French to: Where is my order?');

    await admin('POST', '/templates/support-reply/versions', {
      messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: 'Reply in German to: {{question}}' }],
      model: 'claude-haiku-4-5',
      publish: true,
    });
    expect(await viaChat()).toBe('Hello from claude-haiku-4-5: Reply in German to: Where is my order?');
    expect(lastUpstream().path).toBe('/v1/messages');
    expect(lastLog()).toMatchObject({ api: 'chat', model: 'claude-haiku-4-5', template: { id: 'support-reply', version: 2 } });
    expect(await viaResponses()).toBe('Hello from claude-haiku-4-5: Reply in German to: Where is my order?');
    expect(lastLog()).toMatchObject({ api: 'responses', template: { id: 'support-reply', version: 2 } });

    await admin('POST', '/templates/support-reply/rollback', {});
    expect(await viaChat()).toBe('Hello from gpt-4o-mini: Reply in French to: Where is my order?');
    expect(await viaResponses()).toBe('Hello from gpt-4o-mini: Reply in French to: Where is my order?');
    expect(lastLog()).toMatchObject({ template: { id: 'support-reply', version: 1 } });
  });

  it("puts the template's messages before the client's; the client's model and parameters win over the template's", async () => {
    await admin('POST', '/templates', {
      id: 'defaults',
      messages: [{ role: 'system', content: 'Be brief about {{topic}}.' }],
      model: 'claude-haiku-4-5',
      params: { temperature: 0.3, top_p: 0.9, max_tokens: 100 },
      publish: true,
    });
    const client = gw.client();
    const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', temperature: 1, messages: [{ role: 'user', content: 'What is RAM?' }], prompt: { id: 'defaults', variables: { topic: 'hardware' } } } as never as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(chat.choices[0]!.message.content).toBe('Hello from gpt-4o-mini: What is RAM?');
    expect(lastUpstream().body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 1,
      top_p: 0.9,
      max_completion_tokens: 100,
      messages: [{ role: 'system', content: 'Be brief about hardware.' }, { role: 'user', content: 'What is RAM?' }],
    });
    const stream = await client.responses.create({ input: 'And ROM?', stream: true, prompt: { id: 'defaults', variables: { topic: 'hardware' } } });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    expect(text).toBe('Hello from claude-haiku-4-5: And ROM?');
    // (the Anthropic adapter sends temperature and drops top_p: Anthropic's newer models refuse both at once)
    expect(lastUpstream().body).toMatchObject({ model: 'claude-haiku-4-5', temperature: 0.3, max_tokens: 100, system: 'Be brief about hardware.' });
  });

  it('streams a templated chat completion (usage chunk included) and attributes it like any other', async () => {
    const stream = await gw.client().chat.completions.create({ stream: true, stream_options: { include_usage: true }, prompt: { id: 'support-reply', variables: { question: 'Refund?' } } } as never as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let usage: unknown;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toMatch(/^Hello from (gpt-4o-mini|claude-haiku-4-5): Reply in (French|German) to: Refund\?$/);
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    expect(lastLog()).toMatchObject({ stream: true, status: 200, template: { id: 'support-reply' } });
  });

  it('takes a numeric version, keeps responses instructions after the template, and needs a model from somewhere', async () => {
    await admin('POST', '/templates', { id: 'no-model', messages: [{ role: 'developer', content: 'Style: {{style}}' }], publish: true });
    const noModel = await post('chat/completions', { prompt: { id: 'no-model', variables: { style: 'terse' } }, messages: [{ role: 'user', content: 'hi' }] });
    expect(noModel.status).toBe(400);
    expect((await noModel.json()).error).toMatchObject({ param: 'model', message: expect.stringContaining("'no-model' version 1 sets no default model") });
    const r = await gw.client().responses.create({ model: 'gpt-4o-mini', instructions: 'Be kind.', input: 'hello', prompt: { id: 'no-model', version: 1 as never, variables: { style: 'terse' } } });
    expect(r.output_text).toBe('Hello from gpt-4o-mini: hello');
    expect(lastUpstream().body.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'developer', content: 'Style: terse' },
      { role: 'user', content: 'hello' },
    ]);
    expect((await admin('PATCH', '/templates/no-model', { description: 'Style only' })).json).toMatchObject({ description: 'Style only' });
    expect((await admin('GET', '/templates/no-model/versions/1')).json).toMatchObject({ template: 'no-model', version: 1, status: 'published', variables: ['style'] });
  });

  it('answers missing and extra variables with one 400 naming them, in each API\'s envelope', async () => {
    const client = gw.client();
    const chatErr = await client.chat.completions
      .create({ prompt: { id: 'support-reply', variables: { questoin: 'typo', extra: 1 } } } as never as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e) => e);
    expect(chatErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chatErr.message).toContain("missing variable 'question'; unexpected variables 'extra', 'questoin'");
    expect(chatErr.error).toMatchObject({ code: 'invalid_request', param: 'prompt.variables' });
    const respErr = await client.responses.create({ prompt: { id: 'support-reply', variables: {} } }).catch((e) => e);
    expect(respErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect(respErr.message).toContain("missing variable 'question'");
    const image = await post('responses', { prompt: { id: 'support-reply', variables: { question: { type: 'input_image', image_url: 'https://x/y.png' } } } });
    expect(image.status).toBe(400);
    expect((await image.json()).error).toMatchObject({ param: 'prompt.variables.question' });
    const text = await client.responses.create({ prompt: { id: 'support-reply', variables: { question: { type: 'input_text', text: 'Refund?' } } } });
    expect(text.output_text).toContain('Refund?');
    expect(upstream.requests.filter((r) => r.body?.messages?.some?.((m: any) => String(m.content).includes('questoin')))).toEqual([]);
  });

  it('refuses unknown ids and versions, and another team\'s template, as 404 naming prompt.id', async () => {
    const unknown = await post('chat/completions', { prompt: { id: 'no-such-template' }, messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o-mini' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ code: 'not_found', param: 'prompt.id' });
    expect((await post('responses', { prompt: { id: 'support-reply', version: '9', variables: { question: 'q' } } })).status).toBe(404);
    expect((await post('responses', { prompt: { id: 'support-reply', version: 'latest', variables: { question: 'q' } } })).status).toBe(400);
    const foreign = await post('chat/completions', { prompt: { id: 'greeter', variables: { name: 'A', city: 'B' } } }, OTHER_TEAM_KEY);
    expect(foreign.status).toBe(404);
    // A global template is for every team.
    expect((await post('chat/completions', { prompt: { id: 'support-reply', variables: { question: 'q' } } }, OTHER_TEAM_KEY)).status).toBe(200);
  });

  it('runs every guard on the rendered prompt: a denied topic in a variable is refused, PII in a variable redacted', async () => {
    await admin('POST', '/templates', { id: 'guarded-t', team: 'guarded', messages: [{ role: 'user', content: 'Tell me about {{subject}}' }], model: 'gpt-4o-mini', publish: true });
    const denied = await post('chat/completions', { prompt: { id: 'guarded-t', variables: { subject: 'Project Zeus' } } }, GUARDED_KEY);
    expect(denied.status).toBe(400);
    expect((await denied.json()).error.code).toBe('prompt_denied');
    const deniedResp = await post('responses', { prompt: { id: 'guarded-t', variables: { subject: 'project zeus' } } }, GUARDED_KEY);
    expect(deniedResp.status).toBe(400);
    const before = upstream.requests.length;
    const ok = await post('chat/completions', { prompt: { id: 'guarded-t', variables: { subject: 'mail ada.lovelace@example.com' } } }, GUARDED_KEY);
    expect(ok.status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
    const sent = JSON.stringify(lastUpstream().body.messages);
    expect(sent).toContain('Tell me about mail');
    expect(sent).not.toContain('ada.lovelace@example.com');
  });
});

describe('OpenAI stored prompts (pmpt_ ids)', () => {
  it('relays them untouched to an OpenAI target with the Responses API; refuses them on translated targets and on chat', async () => {
    upstream.enqueue({ json: { id: 'resp_1', object: 'response', created_at: 1, status: 'completed', model: 'gpt-5', output: [], usage: { input_tokens: 5, output_tokens: 0, total_tokens: 5 } } });
    const prompt = { id: 'pmpt_123abc', version: '2', variables: { city: 'Oslo' } };
    const native = await post('responses', { model: 'gpt-5-native', prompt });
    expect(native.status).toBe(200);
    expect(lastUpstream()).toMatchObject({ path: '/v1/responses', body: { model: 'gpt-5', prompt } });
    const translated = await post('responses', { model: 'gpt-4o-mini', prompt });
    expect(translated.status).toBe(400);
    expect((await translated.json()).error).toMatchObject({ param: 'prompt' });
    const chat = await post('chat/completions', { model: 'gpt-4o-mini', prompt, messages: [{ role: 'user', content: 'x' }] });
    expect(chat.status).toBe(400);
    expect((await chat.json()).error).toMatchObject({ param: 'prompt.id', message: expect.stringContaining('OpenAI stored prompt') });
  });
});

describe('team admins', () => {
  it("manage their team's templates, read global ones, and never change global or see other teams' ones", async () => {
    const ta = as(lead);
    const mine = await ta('POST', '/templates', { id: 'team-t', messages: [{ role: 'user', content: 'Hi' }], publish: true });
    expect(mine.status).toBe(201);
    expect(mine.json.team).toBe('default');
    expect((await ta('POST', '/templates', { id: 'other-t', team: 'other', messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(404);
    const ids = (await ta('GET', '/templates')).json.data.map((t: any) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['team-t', 'greeter', 'support-reply']));
    expect(ids).not.toContain('guarded-t');
    expect((await ta('GET', '/templates/guarded-t')).status).toBe(404);
    const global = await ta('POST', '/templates/support-reply/versions', { messages: [{ role: 'user', content: 'x' }] });
    expect(global.status).toBe(403);
    expect(global.json.error.code).toBe('admin_forbidden');
    expect((await ta('POST', '/templates/team-t/versions', { messages: [{ role: 'user', content: 'Hey' }], publish: true })).json).toMatchObject({ version: 2, status: 'published' });
    expect((await ta('DELETE', '/templates/team-t')).json).toMatchObject({ deleted: true });
    expect((await post('chat/completions', { model: 'gpt-4o-mini', prompt: { id: 'team-t' } })).status).toBe(404);
  });
});

describe('attribution', () => {
  it('counts requests and cost per template and version in Prometheus', async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    const text = await res.text();
    expect(text).toMatch(/gateway_template_requests_total\{template="support-reply",version="1",status="200"\} [1-9]/);
    expect(text).toMatch(/gateway_template_requests_total\{template="support-reply",version="2",status="200"\} 2/);
    expect(text).toMatch(/gateway_template_requests_total\{template="guarded-t",version="1",status="400"\} 2/);
    const cost = text.match(/gateway_template_cost_usd_total\{template="support-reply",version="2"\} ([0-9.e-]+)/);
    expect(Number(cost?.[1])).toBeGreaterThan(0);
  });

  it('keeps requests, tokens and cost per version and team in the store, read through /admin/templates/{id}/usage', async () => {
    const all = (await admin('GET', '/templates/support-reply/usage')).json;
    expect(all.template).toBe('support-reply');
    const v2 = all.versions.find((v: any) => v.version === 2);
    expect(v2).toMatchObject({ requests: 2, errors: 0 });
    expect(v2.costMicros).toBeGreaterThan(0);
    expect(v2.costUsd).toBe((v2.costMicros / 1e6).toFixed(6));
    expect(v2.promptTokens).toBeGreaterThan(0);
    expect(new Set(all.data.map((r: any) => r.teamId))).toEqual(new Set(['default', 'other']));
    expect(all.data[0].day).toBe(new Date().toISOString().slice(0, 10));
    // A team admin reads a global template's usage by its own team only.
    const mine = (await as(lead)('GET', '/templates/support-reply/usage')).json;
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((r: any) => r.teamId === 'default')).toBe(true);
    // Guard refusals of a templated request count as errors of that version.
    expect((await admin('GET', '/templates/guarded-t/usage')).json.versions).toMatchObject([{ version: 1, requests: 3, errors: 2 }]);
    expect((await admin('GET', '/templates/support-reply/usage?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z')).json.data).toEqual([]);
    expect((await admin('GET', '/templates/support-reply/usage?from=yesterday')).status).toBe(400);
  });
});
