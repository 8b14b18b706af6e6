/**
 * The deployment files, checked here because Docker cannot run on this machine: the compose gateway config
 * loads through the real config loader (with the environment compose passes), docker-compose.yml has the
 * topology docs/operations.md promises, and the Dockerfile copies every file the gateway reads at run time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { fromRoot } from '../../src/paths.js';

describe('deployment files', () => {
  it('deploy/gateway.compose.yaml is a valid gateway config: Redis state, Qdrant vectors, secrets from the environment', () => {
    const env = { OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', GATEWAY_API_KEY: 'gw-k', GATEWAY_ADMIN_TOKEN: 'adm' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const cfg = loadConfigFile(fromRoot('deploy', 'gateway.compose.yaml'));
      expect(cfg.state).toMatchObject({ kind: 'redis', redisUrl: 'redis://redis:6379', failMode: 'closed' });
      expect(cfg.vectorStore).toMatchObject({ kind: 'qdrant', url: 'http://qdrant:6333' });
      expect(cfg.providers.openai.apiKey).toBe('sk-o');
      expect(cfg.providers.anthropic.apiKey).toBe('sk-a');
      expect(cfg.server.adminToken).toBe('adm');
      expect(cfg.keys[0].key).toBe('gw-k');
      expect(cfg.server.port).toBe(8080);
      expect(cfg.server.shutdownGraceMs).toBeLessThan(20_000); // below stop_grace_period
    } finally {
      process.env = saved;
    }
  });

  it('docker-compose.yml: two gateway replicas behind nginx, Redis with AOF, Qdrant, health-gated start', () => {
    const doc = parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8'), { merge: true });
    const s = doc.services;
    expect(Object.keys(s).sort()).toEqual(['gateway-1', 'gateway-2', 'lb', 'qdrant', 'redis']);
    for (const name of ['gateway-1', 'gateway-2']) {
      const g = s[name];
      expect(g.build).toBe('.');
      expect(g.volumes).toContain('./deploy/gateway.compose.yaml:/etc/ai-gateway/gateway.yaml:ro');
      expect(g.environment.GATEWAY_CONFIG).toBe('/etc/ai-gateway/gateway.yaml');
      // Every variable deploy/gateway.compose.yaml and docs/operations.md name must reach the container.
      for (const v of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GATEWAY_API_KEY', 'GATEWAY_ADMIN_TOKEN', 'LOG_LEVEL', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GATEWAY_EMBEDDINGS']) expect(g.environment[v]).toMatch(new RegExp(`^\\$\\{${v}`));
      expect(g.healthcheck.test.join(' ')).toContain('/readyz');
      expect(g.depends_on.redis.condition).toBe('service_healthy');
      expect(g.depends_on.qdrant.condition).toBe('service_healthy');
      expect(parseInt(g.stop_grace_period)).toBeGreaterThanOrEqual(20);
      expect(g.ports).toBeUndefined(); // only the load balancer is published
    }
    expect(s.lb.depends_on['gateway-1'].condition).toBe('service_healthy');
    expect(s.lb.depends_on['gateway-2'].condition).toBe('service_healthy');
    expect(s.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(s.qdrant.image).toMatch(/^qdrant\/qdrant:/);
    const nginx = readFileSync(fromRoot('deploy', 'nginx.conf'), 'utf8');
    expect(nginx).toMatch(/proxy_buffering off;/);
    expect(nginx).toMatch(/server gateway-1:8080/);
    expect(nginx).toMatch(/server gateway-2:8080/);
  });

  it('the Dockerfile is multi-stage, non-root, and ships the files the gateway reads at run time', () => {
    const df = readFileSync(fromRoot('Dockerfile'), 'utf8');
    expect(df.match(/^FROM node:20-bookworm-slim AS \w+/gm)).toHaveLength(2);
    expect(df).toMatch(/RUN npm ci/);
    expect(df).toMatch(/npm run build && npm prune --omit=dev/);
    expect(df).toMatch(/^USER node$/m);
    expect(df).toMatch(/^CMD \["node", "dist\/src\/cli\.js"\]$/m);
    // Each runtime read (src/paths.ts fromRoot users, the injection model) must be copied into the image.
    for (const path of ['package.json', 'config', 'src/dashboard/public', 'guards/injection/model.json']) {
      expect(df).toMatch(new RegExp(`COPY --from=build /app/${path.replace(/\./g, '\\.')} \\./${path.replace(/\./g, '\\.')}`));
    }
    const ignore = readFileSync(fromRoot('.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.git', 'dist', '.env']));
  });
});
