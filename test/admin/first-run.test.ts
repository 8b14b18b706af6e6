/**
 * A first run explains itself (issue 21.1): the start banner names the API base URL, the dashboard and whether
 * the admin API is on (and how to turn it on), and /admin without admin configured says how to enable it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { describeEndpoints, startBanner } from '../../src/admin/start-banner.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { baseConfig, startTestGateway } from '../helpers/test-gateway.js';

describe('first run', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('npm start prints the API base URL, the dashboard URL and how to enable admin; with a token it says where admin is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-first-run-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, stringify(baseConfig(upstream, { server: { adminToken: '${GATEWAY_ADMIN_TOKEN:-}' } })));
    const off = await startGatewayProcess(file, { GATEWAY_ADMIN_TOKEN: '' });
    try {
      const out = off.output();
      expect(out).toContain(`API        ${off.url}/v1`);
      expect(out).toContain(`Dashboard  ${off.url}/dashboard`);
      expect(out).toMatch(/Admin API  off: set GATEWAY_ADMIN_TOKEN/);
      expect(out).toMatch(/Metrics    not served: set GATEWAY_METRICS_TOKEN/);
      // The same as one JSON log line for log collectors.
      const ready = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'gateway ready');
      expect(ready).toMatchObject({ api: `${off.url}/v1`, dashboard: `${off.url}/dashboard`, admin: { enabled: false } });
      // And /admin says the same thing instead of a bare 404.
      const res = await fetch(`${off.url}/admin/teams`);
      expect(res.status).toBe(404);
      const { error } = await res.json();
      expect(error).toMatchObject({ code: 'admin_disabled', type: 'not_found_error' });
      expect(error.message).toContain('Set GATEWAY_ADMIN_TOKEN');
    } finally {
      await off.stop();
    }
    const on = await startGatewayProcess(file, { GATEWAY_ADMIN_TOKEN: 'first-run-admin-token' });
    try {
      const out = on.output();
      expect(out).toContain(`Admin API  ${on.url}/admin   (Authorization: Bearer <server.adminToken>`);
      expect(out).not.toContain('first-run-admin-token'); // never the secret itself
    } finally {
      await on.stop();
    }
  }, 60_000);

  it('/admin disabled in the config, or moved to an operator port, says so on the API port', async () => {
    const disabled = await startTestGateway(upstream, { server: { adminToken: 'tok', admin: { enabled: false } } });
    try {
      for (const path of ['/admin', '/admin/teams', '/admin/keys/x/rotate']) {
        const res = await fetch(`${disabled.url}${path}`, { method: path.endsWith('rotate') ? 'POST' : 'GET', headers: { authorization: 'Bearer tok' } });
        expect(res.status).toBe(404);
        const { error } = await res.json();
        expect(error.code).toBe('admin_disabled');
        expect(error.message).toContain('server.admin.enabled: false');
      }
    } finally {
      await disabled.close();
    }
    const moved = configSchema.parse(baseConfig(upstream, { server: { adminToken: 'tok', admin: { port: 9901, host: '0.0.0.0' }, metrics: { port: 9901 } } }));
    const e = describeEndpoints(moved, 'http://127.0.0.1:8080');
    expect(e).toMatchObject({ api: 'http://127.0.0.1:8080/v1', admin: { enabled: true, url: 'http://127.0.0.1:9901/admin' }, metrics: { url: 'http://127.0.0.1:9901/metrics' } });
    expect(startBanner(e)).toContain('operator listener, no token');
  });
});
