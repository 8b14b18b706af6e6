/**
 * Our gateway's benchmark config, built like test/helpers/test-gateway.ts `baseConfig`: one OpenAI provider on
 * the bench upstream, `gpt-4o-mini`, one team and key, SQLite state in a fresh temp dir, log level `warn` (the
 * per-request log line is written at `info`, so none is written).
 *
 *   off   auth only (guards, cache, budgets, rate limits at their defaults: off).
 *   budgets  auth + team and key budgets + rate limits (issue 3's overhead); `budgets-redis` on Redis.
 *   core  the performance target's set: auth + team and key budgets + rate limits + PII guard (pseudonymise);
 *         `core-redis` is the same on a Redis state store (a redis-server started for the run).
 *   all   auth + team and key budgets (USD and tokens) + rate limits (rpm, tpm; high enough never to refuse) +
 *        PII guard (pseudonymise, default roles) + injection detector (flag) + exact response cache on (semantic
 *        layer off; the load sends a unique prompt per request, so every request is a miss looked up and stored).
 */

/** The gateway key the load generator sends as `Authorization: Bearer …`. */
export const BENCH_KEY = 'gw-bench-key-0123456789abcdefghijklmnopqrstuvwxyz';

export type FeatureSet = 'off' | 'budgets' | 'budgets-redis' | 'core' | 'core-redis' | 'all';

/** The config (plain data, valid YAML when JSON-serialised) for one feature set. Pure. */
export function benchConfig(upstream: string, features: FeatureSet, dataDir: string, port: number, redisUrl?: string): Record<string, unknown> {
  const all = features !== 'off';
  const everything = features === 'all';
  const budgets = [
    { period: 'monthly', usd: '1000000' },
    { period: 'daily', tokens: 2_000_000_000 },
  ];
  const rateLimits = { rpm: 50_000_000, tpm: 2_000_000_000 };
  return {
    server: { host: '127.0.0.1', port, logLevel: 'warn', shutdownGraceMs: 300 },
    state: redisUrl ? { kind: 'redis', redisUrl, dataDir } : { kind: 'sqlite', dataDir },
    providers: {
      openai: {
        kind: 'openai',
        baseUrl: `${upstream}/v1`,
        apiKey: 'sk-bench-upstream',
        // totalMs: the long-stream bench's 500 × 20 ms streams under thousands of others run well past 30 s.
        timeouts: { connectMs: 2000, firstByteMs: 10_000, idleMs: 10_000, totalMs: 120_000 },
      },
    },
    models: {
      'gpt-4o-mini': { provider: 'openai', upstream: 'gpt-4o-mini', price: { input: '0.15', output: '0.60', cachedInput: '0.075' }, contextWindow: 128000 },
    },
    teams: { default: { allowedModels: ['*'], ...(all ? { budgets, rateLimits } : {}) } },
    keys: [{ id: 'bench', team: 'default', key: BENCH_KEY, ...(all ? { budgets: [budgets[0]], rateLimits } : {}) }],
    ...(features === 'core' || features === 'core-redis' ? { guards: { pii: { enabled: true, defaultAction: 'pseudonymise' } } } : {}),
    ...(everything
      ? {
          guards: { pii: { enabled: true, defaultAction: 'pseudonymise' }, injection: { enabled: true, action: 'flag' } },
          cache: { mode: 'on', semantic: false },
        }
      : {}),
  };
}

/** What each feature set turns on, for the report. */
export const FEATURE_NOTES: Record<FeatureSet, string> = {
  off: 'auth only',
  budgets: 'auth + budgets (team USD + tokens, key USD) + rate limits (rpm + tpm), SQLite state',
  'budgets-redis': 'the same as "budgets + limits" on a Redis state store (local redis-server, loopback)',
  core: 'auth + budgets (team USD + tokens, key USD) + rate limits (rpm + tpm) + PII guard (pseudonymise), SQLite state',
  'core-redis': 'the same as "targets set" on a Redis state store (local redis-server, loopback)',
  all: 'auth + budgets (team USD + tokens, key USD) + rate limits (rpm + tpm) + PII guard (pseudonymise) + injection detector (flag) + exact cache on, every request a miss (looked up, then stored)',
};
