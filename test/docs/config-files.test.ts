import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { CACHE_DEFAULTS } from '../../src/config/policy.js';
import { fromRoot } from '../../src/paths.js';

describe('shipped config files', () => {
  it.each(['gateway.yaml', 'example.yaml'])('config/%s is valid with an empty environment', (name) => {
    const cfg = loadConfigFile(fromRoot('config', name), {});
    expect(cfg.models['gpt-4o-mini'].price.input).toBe('0.15');
    expect(cfg.models['claude-haiku-4-5']).toBeDefined();
    expect(cfg.providers.openai.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('config/gateway.yaml gives the semantic cache the threshold tuned for the embedder it ships with (docs/semantic.md)', () => {
    const cfg = loadConfigFile(fromRoot('config', 'gateway.yaml'), {});
    expect(cfg.embeddings.kind).toBe('use-lite');
    expect(cfg.cache.similarityThreshold).toBe(0.925); // USE lite on SICK train: bench/semantic-eval.ts
  });

  it('reads ${VAR} and ${VAR:-default} from the environment, typed like the value they resolve to', () => {
    const cfg = loadConfigFile(fromRoot('config', 'gateway.yaml'), { PORT: '9999', OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://localhost:1/v1' });
    expect(cfg.server.port).toBe(9999);
    expect(cfg.providers.openai).toMatchObject({ apiKey: 'sk-x', baseUrl: 'http://localhost:1/v1' });
  });

  it('the smallest config (a provider and a model) gets every section\'s defaults', () => {
    const cfg = parseConfig('providers:\n  o: { kind: openai, baseUrl: "http://x/v1" }\nmodels:\n  m: { provider: o, upstream: m, price: { input: 1, output: 1 }, contextWindow: 1000 }\n', 'min.yaml', {});
    expect(cfg.server).toMatchObject({ host: '0.0.0.0', port: 8080, adminToken: '', logLevel: 'info', admin: { enabled: true } });
    expect(cfg.state).toMatchObject({ kind: 'sqlite', dataDir: './data', failMode: 'closed', ledgerFlushMs: 1000 });
    expect(cfg.vectorStore).toMatchObject({ kind: 'embedded', maxEntries: 100_000 });
  });

  it('config/example.yaml shows the schema defaults, except where a comment says otherwise', () => {
    const ex = loadConfigFile(fromRoot('config', 'example.yaml'), {});
    const provider = (kind: string) => `{ kind: ${kind}, baseUrl: "http://x" }`;
    const min = parseConfig(`providers:\n  openai: ${provider('openai')}\n  anthropic: ${provider('anthropic')}\nembeddings: { kind: local }\n`, 'min.yaml', {});
    expect(ex.server).toEqual(min.server);
    expect(ex.state).toEqual(min.state);
    expect(ex.vectorStore).toEqual(min.vectorStore);
    expect(ex.routing).toEqual(min.routing);
    expect({ ...ex.embeddings, allowRemote: false, modelDir: './models' }).toEqual(min.embeddings); // allowRemote: true is marked
    for (const name of ['openai', 'anthropic']) expect({ ...ex.providers[name], baseUrl: 'http://x' }).toEqual(min.providers[name]);
    expect({ ...CACHE_DEFAULTS, ...ex.cache }).toEqual(CACHE_DEFAULTS);
  });

  it('takes the local embedder settings docs/semantic.md lists', () => {
    const text = `providers:\n  o: { kind: openai, baseUrl: "http://x/v1" }\nembeddings:\n  kind: local\n  batchSize: 16\n  threads: 2\n  cacheDir: /tmp/hf\n  loadTimeoutMs: 30000\n  restartDelayMs: 1000\n  embedTimeoutMs: 5000\n`;
    expect(parseConfig(text, 'x.yaml', {}).embeddings).toMatchObject({ kind: 'local', batchSize: 16, threads: 2, cacheDir: '/tmp/hf', loadTimeoutMs: 30000, restartDelayMs: 1000, embedTimeoutMs: 5000 });
  });

  it('names the bad path and the reason', () => {
    const bad = `providers:\n  openai: { kind: openai, baseUrl: "not a url" }\nmodels:\n  x: { provider: nope, upstream: y, price: { input: "abc", output: 1 }, contextWindow: 10 }\n`;
    try {
      parseConfig(bad, 'bad.yaml', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toMatch(/providers\.openai\.baseUrl/);
      expect(text).toMatch(/models\.x\.price\.input: .*decimal/);
    }
    expect(() => parseConfig('providers:\n  o: { kind: openai, baseUrl: "${NOPE}" }\n', 'x.yaml', {})).toThrow(/providers\.o\.baseUrl: environment variable NOPE is not set/);
  });
});
