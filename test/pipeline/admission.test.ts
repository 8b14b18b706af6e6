/**
 * Admission (stage 3) without HTTP: the budget hold of a request that runs longer than its lease (failover
 * attempts, a long stream) stays held while the request lives, and ends with its settlement.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatRequest } from '../../src/core/types.js';
import { admit } from '../../src/pipeline/admission.js';
import { createRequestContext } from '../../src/pipeline/context.js';
import type { ResponseSink } from '../../src/pipeline/response-sink.js';
import { createStoreRetryQueue } from '../../src/pipeline/store-retry.js';
import type { ResolvedModel } from '../../src/routing/catalog.js';
import type { Runtime } from '../../src/runtime.js';
import { createSqliteStateStore, type StateStore } from '../../src/state/index.js';
import { key, team } from '../state/state-store.contract.js';

const TOTAL_MS = 1_000; // the provider's total timeout: the lease is this + 60 s
const budgets = [{ period: 'monthly' as const, tokens: 10_000 }];
const scopes = [{ scope: 'team:t' as const, budgets }];

let store: StateStore;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.UTC(2024, 2, 13, 12) });
  store = await createSqliteStateStore({ path: ':memory:' });
});
afterEach(async () => {
  await store.close();
  vi.useRealTimers();
});

function setup() {
  const logger = pino({ level: 'silent' });
  const rt = {
    config: { server: { defaultMaxOutputTokens: 100 }, state: { failMode: 'closed' } },
    store,
    logger,
    storeRetry: createStoreRetryQueue(logger),
    adapters: new Map([['openai', { config: { timeouts: { totalMs: TOTAL_MS } } }]]),
  } as unknown as Runtime;
  const ctx = createRequestContext('req-1');
  ctx.principal = { team: team('t', { budgets }), key: key('k', 't') };
  ctx.model = { name: 'm', targets: [{ provider: 'openai', upstreamModel: 'm' }] } as unknown as ResolvedModel;
  const req = { model: 'm', messages: [{ role: 'user', content: 'hello' }], stream: true, includeUsage: false, maxOutputTokens: 50, n: 1, body: {} } as unknown as ChatRequest;
  const sink = { setHeader: () => undefined } as unknown as ResponseSink;
  return { rt, ctx, req, sink };
}

const held = async () => (await store.getBudgetStatus(scopes, { teamId: 't' }))[0]!;

describe('admission lease', () => {
  it('keeps the hold of a request that outlives its lease, and releases it at settlement', async () => {
    const { rt, ctx, req, sink } = setup();
    const admission = await admit(rt, ctx, req, sink);
    const hold = (await held()).reservedTokens;
    expect(hold).toBeGreaterThan(50);
    // Ten minutes later (ten leases), the request is still running: its hold must still count.
    for (let i = 0; i < 60; i++) await vi.advanceTimersByTimeAsync(10_000);
    expect((await held()).reservedTokens).toBe(hold);
    await admission.settle({ promptTokens: 10, completionTokens: 5, cachedTokens: 0, cacheWriteTokens: 0, estimated: false });
    expect(await held()).toMatchObject({ reservedTokens: 0, spentTokens: 15 });
    // Settled: no renewal brings the hold back.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await held()).toMatchObject({ reservedTokens: 0, spentTokens: 15 });
  });
});
