/**
 * Starts a real gateway (HTTP listener on a free port) over a fake upstream, with a SQLite store in memory.
 * Tests talk to it with the official OpenAI SDK, exactly as users do.
 */
import OpenAI from 'openai';
import { Writable } from 'node:stream';
import { configSchema, type GatewayConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { afterAll, beforeAll } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import type { StateStore } from '../../src/state/state-store.js';

export const TEST_KEY = 'gw-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const OTHER_TEAM_KEY = 'gw-other-team-key-0123456789abcdefghijklmnopqrs';

export interface TestGateway extends RunningGateway {
  /** OpenAI SDK pointed at the gateway with the test key; SDK retries off unless asked. */
  client(opts?: { apiKey?: string; maxRetries?: number }): OpenAI;
  /** Parsed log lines the gateway wrote. */
  logs: Record<string, any>[];
}

/** Base config: providers `openai` and `anthropic` on the fake, a few models, teams `default` and `other`. */
export function baseConfig(upstream: FakeUpstream, overrides: Record<string, any> = {}): Record<string, any> {
  const timeouts = { connectMs: 2000, firstByteMs: 5000, idleMs: 5000, totalMs: 20000 };
  return {
    server: { host: '127.0.0.1', port: 0, logLevel: 'info', shutdownGraceMs: 300, ...overrides.server },
    // Ledger writes through at once in tests, so a test can read what a request recorded right after it.
    state: { kind: 'sqlite', dataDir: ':memory:', ledgerFlushMs: 0, ...overrides.state },
    providers: {
      openai: { kind: 'openai', baseUrl: upstream.openaiBaseUrl, apiKey: 'sk-test-openai-secret', timeouts },
      anthropic: { kind: 'anthropic', baseUrl: upstream.anthropicBaseUrl, apiKey: 'sk-ant-test-secret', timeouts },
      ...overrides.providers,
    },
    models: {
      'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60', cachedInput: '0.075' }, contextWindow: 128000 },
      'claude-haiku-4-5': { provider: 'anthropic', upstream: 'claude-haiku-4-5', price: { input: '1', output: '5', cachedInput: '0.10', cacheWrite: '1.25' }, contextWindow: 200000 },
      ...overrides.models,
    },
    teams: { default: { allowedModels: ['*'] }, other: { allowedModels: ['gpt-4o-mini'] }, ...overrides.teams },
    keys: overrides.keys ?? [
      { id: 'test', team: 'default', key: TEST_KEY },
      { id: 'other', team: 'other', key: OTHER_TEAM_KEY },
    ],
    ...(overrides.routes ? { routes: overrides.routes } : {}),
    ...(overrides.extra ?? {}),
  };
}

export async function startTestGateway(
  upstream: FakeUpstream,
  overrides: Record<string, any> = {},
  opts: { store?: StateStore } = {},
): Promise<TestGateway> {
  const config: GatewayConfig = configSchema.parse(baseConfig(upstream, overrides));
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const gw = await startGateway(config, createLogger('info', sink), '(test)', opts);
  return {
    ...gw,
    logs,
    client: ({ apiKey = TEST_KEY, maxRetries = 0 } = {}) => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries }),
  };
}

/**
 * One fake upstream and one gateway for a whole test file (started in beforeAll, closed in afterAll).
 * Read `env.gw` / `env.upstream` inside tests, not at collection time.
 */
export function useTestGateway(overrides: Record<string, any> = {}): { readonly gw: TestGateway; readonly upstream: FakeUpstream } {
  const env = {} as { gw: TestGateway; upstream: FakeUpstream };
  beforeAll(async () => {
    env.upstream = await startFakeUpstream();
    env.gw = await startTestGateway(env.upstream, overrides);
  });
  afterAll(async () => {
    await env.gw?.close();
    await env.upstream?.close();
  });
  return env;
}
