/**
 * Chat requests the HTTP layer refuses before the pipeline (401 bad key, 400 invalid_json, 413, 415) are chat
 * requests too: `gateway_requests_total` counts them, so an error-rate alert sees a wave of bad keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { TEST_KEY } from '../helpers/test-gateway.js';
import { startMetricsGateway, type MetricsGateway } from './metrics-gateway.js';

function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('requests refused before the pipeline', () => {
  let upstream: FakeUpstream;
  let gw: MetricsGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startMetricsGateway(upstream, { server: { bodyLimitBytes: 4096 } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('counts 401, 400 invalid_json, 413 and 415 in gateway_requests_total (and not /v1/models refusals)', async () => {
    const chat = (auth: string, body: string, type = 'application/json') =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': type }, body });
    expect((await chat('gw-not-a-key', '{}')).status).toBe(401);
    expect((await chat('gw-not-a-key', '{}')).status).toBe(401);
    expect((await chat(TEST_KEY, '{"model":')).status).toBe(400);
    expect((await chat(TEST_KEY, JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(8000) }] }))).status).toBe(413);
    expect((await chat(TEST_KEY, 'hello', 'text/plain')).status).toBe(415);
    expect((await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer gw-nope' } })).status).toBe(401);

    const s = samples(await gw.scrape());
    expect(s.get('gateway_requests_total{status="401",code="invalid_api_key",team="none",model="none",provider="none"}')).toBe(2);
    expect(s.get('gateway_requests_total{status="400",code="invalid_json",team="default",model="none",provider="none"}')).toBe(1);
    expect(s.get('gateway_requests_total{status="413",code="request_too_large",team="default",model="none",provider="none"}')).toBe(1);
    expect(s.get('gateway_requests_total{status="415",code="unsupported_media_type",team="default",model="none",provider="none"}')).toBe(1);
    // Refusals take no time worth a latency sample: the histogram (and the dashboard's percentiles) stay request-only.
    expect([...s.keys()].some((k) => k.startsWith('gateway_request_duration_seconds_count') && k.includes('model="none"'))).toBe(false);
  });
});
