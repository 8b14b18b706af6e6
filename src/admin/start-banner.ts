/**
 * What a new operator needs to see at start: where the API, the dashboard, the admin API and /metrics are, and
 * for what is off, how to turn it on. Pure (config + the listening URL in, text and log fields out); printed by
 * the CLI next to the first-run key.
 */
import type { GatewayConfig } from '../config/schema.js';

export interface EndpointSummary {
  api: string;
  dashboard: string | null;
  admin: { enabled: boolean; url: string | null; how: string };
  metrics: { url: string | null; how: string };
}

/** `url` is the API listener's (`http://host:port`); side listeners are named by their own host:port. */
export function describeEndpoints(config: GatewayConfig, url: string): EndpointSummary {
  const { server } = config;
  const side = (port: number | undefined, host: string | undefined) =>
    port === undefined ? url : `http://${!host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;

  let admin: EndpointSummary['admin'];
  if (!server.admin.enabled) admin = { enabled: false, url: null, how: 'off (server.admin.enabled: false); set it to true and restart to use /admin' };
  else if (!server.adminToken) {
    admin = { enabled: false, url: null, how: 'off: set GATEWAY_ADMIN_TOKEN (server.adminToken) and restart or send SIGHUP to enable /admin and the all-teams dashboard' };
  } else {
    admin = { enabled: true, url: `${side(server.admin.port, server.admin.host)}/admin`, how: 'Authorization: Bearer <server.adminToken> (GATEWAY_ADMIN_TOKEN); OpenAPI at /admin/openapi.json' };
  }

  const m = server.metrics;
  let metrics: EndpointSummary['metrics'];
  if (!m.enabled) metrics = { url: null, how: 'off (server.metrics.enabled: false)' };
  else if (m.port !== undefined) metrics = { url: `${side(m.port, m.host)}/metrics`, how: m.token ? 'operator listener; Authorization: Bearer <server.metrics.token>' : 'operator listener, no token' };
  else if (m.token) metrics = { url: `${url}/metrics`, how: 'Authorization: Bearer <server.metrics.token> (GATEWAY_METRICS_TOKEN)' };
  else metrics = { url: null, how: 'not served: set GATEWAY_METRICS_TOKEN (server.metrics.token) or server.metrics.port (docs/operations.md)' };

  return {
    api: `${url}/v1`,
    dashboard: server.dashboard.enabled ? `${url}/dashboard` : null,
    admin,
    metrics,
  };
}

export function startBanner(e: EndpointSummary): string {
  const row = (name: string, value: string) => `    ${name.padEnd(11)}${value}\n`;
  return (
    '\n  AI gateway ready\n\n' +
    row('API', `${e.api}   (OpenAI SDK baseURL, a gateway key as apiKey)`) +
    row('Dashboard', e.dashboard ? `${e.dashboard}   (sign in with a gateway key, or the admin token for every team)` : 'off (server.dashboard.enabled: false)') +
    row('Admin API', e.admin.enabled ? `${e.admin.url}   (${e.admin.how})` : e.admin.how) +
    row('Metrics', e.metrics.url ? `${e.metrics.url}   (${e.metrics.how})` : e.metrics.how) +
    '\n  First steps: README.md "Five minutes with the gateway".\n\n'
  );
}
