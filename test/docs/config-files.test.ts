import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { fromRoot } from '../../src/paths.js';

describe('shipped config files', () => {
  it.each(['gateway.yaml', 'example.yaml'])('config/%s is valid with an empty environment', (name) => {
    const cfg = loadConfigFile(fromRoot('config', name), {});
    expect(cfg.models['gpt-4o-mini'].price.input).toBe('0.15');
    expect(cfg.models['claude-haiku-4-5']).toBeDefined();
    expect(cfg.providers.openai.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('reads ${VAR} and ${VAR:-default} from the environment, typed like the value they resolve to', () => {
    const cfg = loadConfigFile(fromRoot('config', 'gateway.yaml'), { PORT: '9999', OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://localhost:1/v1' });
    expect(cfg.server.port).toBe(9999);
    expect(cfg.providers.openai).toMatchObject({ apiKey: 'sk-x', baseUrl: 'http://localhost:1/v1' });
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
