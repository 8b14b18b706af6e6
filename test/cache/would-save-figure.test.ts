/**
 * What serving a would-be semantic hit would have saved (the dashboard's semantic panel, the would-save metric) is
 * the fresh answer's cost priced as it was billed: the target that served it, not the route's first target.
 * Here the first target fails, the pricier fallback answers, and the calibration row must hold its price.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

const tiny = makeTinyModel('test/.tmp/models');
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    routes: { chain: { strategy: 'ordered', targets: ['gpt-4o-mini', 'claude-haiku-4-5'], retry: { retries: 0 } } },
    extra: {
      embeddings: { kind: 'local', model: tiny.model, modelDir: tiny.modelDir },
      // Shadow: every verified would-be hit is compared with the fresh answer and counted in its band.
      cache: { mode: 'on', semantic: 'shadow', similarityThreshold: 0.9 },
      routing: { breaker: { enabled: false } },
    },
  });
  await gw.runtime.vectors.ready;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const ask = (content: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chain', messages: [{ role: 'user', content }] }),
  });

it('prices the would-be saving at the target that served the fresh answer', async () => {
  const vectors = gw.runtime.vectors.vectors;
  const before = await vectors.size();
  expect((await ask('How do I reset my password on the portal?')).status).toBe(200);
  for (let i = 0; i < 100 && (await vectors.size()) === before; i++) await new Promise((r) => setTimeout(r, 20));

  upstream.enqueue({ status: 500 }); // gpt-4o-mini fails; claude-haiku-4-5 (about 7× the price) answers
  const fresh = await ask('how do i reset my password on the portal');
  expect(fresh.status).toBe(200);
  expect(fresh.headers.get('x-gateway-provider')).toBe('anthropic');
  const billedMicros = Math.round(Number(fresh.headers.get('x-gateway-cost-usd')) * 1e6);
  expect(billedMicros).toBeGreaterThan(0);

  let rows: { samples: number; costMicros: number }[] = [];
  for (let i = 0; i < 100 && rows.length === 0; i++) {
    rows = await gw.runtime.store.getCalibration('default');
    if (!rows.length) await new Promise((r) => setTimeout(r, 20));
  }
  expect(rows).toHaveLength(1);
  expect(rows[0]!.samples).toBe(1);
  expect(rows[0]!.costMicros).toBe(billedMicros);
});
