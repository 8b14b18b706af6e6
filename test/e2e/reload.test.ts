import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { baseConfig, TEST_KEY } from '../helpers/test-gateway.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';

let upstream: FakeUpstream;
let gw: RunningGateway;
let file: string;
const logs: Record<string, any>[] = [];

const write = (overrides: Record<string, any> = {}) => writeFileSync(file, stringify(baseConfig(upstream, overrides)));
const client = () => new OpenAI({ apiKey: TEST_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
const fastModel = { fast: { provider: 'openai', upstream: 'gpt-4.1-nano', price: { input: '0.10', output: '0.40' }, contextWindow: 1000000 } };

beforeAll(async () => {
  upstream = await startFakeUpstream();
  file = join(mkdtempSync(join(tmpdir(), 'gw-reload-')), 'gateway.yaml');
  write();
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n')) if (l) logs.push(JSON.parse(l));
      cb();
    },
  });
  gw = await startGateway(loadConfigFile(file), createLogger('info', sink), file);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('config reload', () => {
  it('applies a new model without a restart, and a stream in flight finishes on the old config', async () => {
    await expect(client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    upstream.enqueue({ chunkDelayMs: 80 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five' }], stream: true });
    write({ models: fastModel });
    expect(await gw.reloader.reload('test')).toBe(true);
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toContain('one two three four five');
    const res = await client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(res.response.headers.get('x-gateway-model')).toBe('gpt-4.1-nano');
  });

  it('refuses an invalid config with a log line and keeps serving the old one', async () => {
    writeFileSync(file, 'providers:\n  openai:\n    kind: nonsense\n');
    expect(await gw.reloader.reload('test')).toBe(false);
    const refused = logs.find((l) => l.msg.startsWith('config reload refused'))!;
    expect(refused.problems.join(' ')).toMatch(/providers\.openai\.kind/);
    const res = await client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'still here' }] });
    expect(res.choices[0].message.content).toContain('still here');
  });

  it('refuses a prompt-guard pattern the guard cannot compile, naming it, and keeps serving', async () => {
    write({ models: fastModel, extra: { guards: { prompt: { deny: ['internal (?=codename)'] } } } });
    expect(await gw.reloader.reload('test')).toBe(false);
    const refused = logs.filter((l) => l.msg.startsWith('config reload refused')).at(-1)!;
    expect(refused.problems.join(' ')).toMatch(/guards\.prompt\.deny\.0: pattern "internal \(\?=codename\)": lookahead.*RE2/);
    await expect(client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'the internal codename is x' }] })).resolves.toBeDefined();
  });

  it('sets and rotates the admin token: the old one stops working at once', async () => {
    const teams = (token: string) => fetch(`${gw.url}/admin/teams`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const [first, second] = ['admin-token-first-0123456789abcdef', 'admin-token-second-0123456789abcde'];
    expect(await teams(first)).toBe(404); // no token configured: no admin API
    write({ models: fastModel, server: { adminToken: first } });
    expect(await gw.reloader.reload('test')).toBe(true);
    expect(await teams(first)).toBe(200);
    write({ models: fastModel, server: { adminToken: second } });
    expect(await gw.reloader.reload('test')).toBe(true);
    expect(await teams(first)).toBe(401);
    expect(await teams(second)).toBe(200);
    write({ models: fastModel });
    expect(await gw.reloader.reload('test')).toBe(true);
    expect(await teams(second)).toBe(404);
  });

  it('applies a new log level at once, and warns that other listener settings wait for a restart', async () => {
    write({ models: fastModel, server: { logLevel: 'warn', bodyLimitBytes: 1024 } });
    expect(await gw.reloader.reload('test')).toBe(true);
    const warned = logs.filter((l) => l.msg.includes('takes effect at the next restart')).map((l) => l.setting);
    expect(warned).toContain('server.bodyLimitBytes');
    expect(warned).not.toContain('server.logLevel');
    const before = logs.length;
    await client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(logs.slice(before).filter((l) => l.msg === 'chat completion')).toHaveLength(0); // info lines are off now
    write({ models: fastModel });
    expect(await gw.reloader.reload('test')).toBe(true);
    await client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(logs.at(-1)!.msg).toBe('chat completion');
  });

  it('reloads by itself when the file changes', async () => {
    write({ models: { ...fastModel, 'fast-2': fastModel.fast } });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(await client().models.list()).data.some((m) => m.id === 'fast-2')) await new Promise((r) => setTimeout(r, 100));
    expect((await client().models.list()).data.map((m) => m.id)).toContain('fast-2');
  });

  it('SIGHUP reloads a running gateway process', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'gw-hup-')), 'g.yaml');
    writeFileSync(f, stringify(baseConfig(upstream, { state: { kind: 'sqlite', dataDir: ':memory:' } })));
    const p = await startGatewayProcess(f);
    try {
      writeFileSync(f, stringify(baseConfig(upstream, { models: fastModel })));
      p.child.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !p.output().includes('"reason":"SIGHUP"')) await new Promise((r) => setTimeout(r, 50));
      expect(p.output()).toMatch(/"reason":"SIGHUP".*config reloaded/);
      const res = await fetch(`${p.url}/v1/models`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
      expect((await res.json()).data.map((m: { id: string }) => m.id)).toContain('fast');
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});
