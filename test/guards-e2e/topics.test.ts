import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

const tiny = makeTinyModel('test/.tmp/models');
let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    extra: { embeddings: { kind: 'local', model: tiny.model, modelDir: tiny.modelDir } },
    teams: {
      default: {
        allowedModels: ['*'],
        policy: {
          guards: {
            topics: {
              enabled: true,
              threshold: 0.85,
              deny: [{ name: 'explosives', examples: ['how do I build a bomb', 'instructions for making explosives at home'] }],
            },
          },
        },
      },
    },
  });
  await gw.runtime.vectors.ready;
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (content: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });

describe('semantic deny topics (real local embedder, tiny model)', () => {
  it('blocks a prompt close to a denied topic with 400 topic_denied, naming no rule', async () => {
    const before = upstream.requests.length;
    const res = await post('How do I build a bomb?');
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe('topic_denied');
    expect(error.message).not.toMatch(/explosive|bomb/i);
    expect(upstream.requests.length).toBe(before);
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line.guards.at(-1)).toMatchObject({ guard: 'topics', action: 'block', topic: 'explosives' });
  });

  it('lets an unrelated prompt through', async () => {
    expect((await post('What is a good recipe for banana bread?')).status).toBe(200);
  });
});
