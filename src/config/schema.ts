/**
 * The gateway configuration, validated at start (zod). Every field has a default where a sensible one exists,
 * so the smallest config is a provider and a model. `config/example.yaml` documents each field.
 */
import { z } from 'zod';
import { routeConfigIssues, routesSchema, routingSchema } from '../routing/route-schema.js';
import { cachePolicySchema, guardPolicySchema, teamPolicySchema } from './policy.js';
import { mcpConfigSchema } from '../mcp/mcp-config.js';
import { telemetryConfigSchema } from '../telemetry/telemetry-config.js';

const decimal = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'a decimal number')]);

const timeouts = z
  .object({
    connectMs: z.number().int().positive().default(5_000),
    firstByteMs: z.number().int().positive().default(60_000),
    idleMs: z.number().int().positive().default(60_000),
    totalMs: z.number().int().positive().default(600_000),
  })
  .strict();

const provider = z
  .object({
    kind: z.enum(['openai', 'anthropic']),
    baseUrl: z.url({ protocol: /^https?$/ }),
    apiKey: z.string().default(''),
    headers: z.record(z.string(), z.string()).default({}),
    timeouts: timeouts.default(timeouts.parse({})),
    /**
     * Cap on concurrent connections (= requests) to the provider; unset = no cap (thousands of concurrent streams
     * each get a connection). With a cap, a request waits for a free one at most `queueTimeoutMs`, then fails over
     * or gets 503 `upstream_queue_timeout` (docs/routing.md).
     */
    maxConnections: z.number().int().positive().optional(),
    queueTimeoutMs: z.number().int().positive().default(2_000),
    /**
     * OpenAI kind only: whether the server has the Responses API (`POST /responses`). On: /v1/responses requests
     * go to it as sent; off: they are translated to chat completions. Default: on for api.openai.com only.
     */
    responsesApi: z.boolean().optional(),
    /** Anthropic only: max_tokens sent when the request gives none (the Messages API requires one). */
    defaultMaxTokens: z.number().int().positive().default(4096),
    /** Anthropic only: strict json_schema / strict tools natively ('auto') or as an instruction (older models). */
    structuredOutputs: z.enum(['auto', 'instruction']).optional(),
    /** Anthropic only: forward temperature/top_p ('send'), never ('drop'), or unless the model rejects them ('auto'). */
    samplingParams: z.enum(['auto', 'send', 'drop']).optional(),
  })
  .strict();

export const capability = z.enum(['tools', 'vision', 'json', 'streaming']);

const price = z
  .object({
    input: decimal,
    output: decimal,
    cachedInput: decimal.optional(),
    cacheWrite: decimal.optional(),
  })
  .strict();

const model = z
  .object({
    provider: z.string(),
    upstream: z.string(),
    price: price,
    contextWindow: z.number().int().positive(),
    maxOutputTokens: z.number().int().positive().optional(),
    capabilities: z.array(capability).default(['tools', 'vision', 'json', 'streaming']),
  })
  .strict();

const budget = z
  .object({
    period: z.enum(['daily', 'weekly', 'monthly', 'lifetime']),
    usd: decimal.optional(),
    tokens: z.number().int().positive().optional(),
    softThreshold: z.number().gt(0).lt(1).optional(),
    webhookUrl: z.url().optional(),
  })
  .strict()
  .refine((b) => b.usd !== undefined || b.tokens !== undefined, 'a budget needs `usd` or `tokens`');

const rateLimits = z
  .object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() })
  .strict();

/** `/admin` and `/metrics`: on the API port by default; `port` moves them to their own listener, `enabled: false` → 404. */
const sideListener = z
  .object({
    enabled: z.boolean().default(true),
    /** When set, the routes are served only on this port (0 = any free port; tests). */
    port: z.coerce.number().int().min(0).max(65535).optional(),
    /** Bind address of the separate listener; default `server.host`. Use 127.0.0.1 to keep it local. */
    host: z.string().optional(),
  })
  .strict();

/**
 * Consumers authenticated by JWTs from the organisation's identity provider (OIDC), besides gateway keys.
 * Asymmetric algorithms only: no shared secret exists to confuse with a public key (no HS/RS confusion), and
 * `none` is never accepted.
 */
const jwtIssuer = z
  .object({
    /** The exact `iss` of the tokens; also where the OIDC discovery document is read when `jwksUri` is absent. */
    issuer: z.string().min(1),
    jwksUri: z.url({ protocol: /^https?$/ }).optional(),
    /** Accepted `aud` values (one must match). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'ES256']),
    /**
     * After a fetch of the key set, a token naming an unknown key refetches it at most this often (key rotation is
     * picked up; a forged `kid` cannot hammer the identity provider).
     */
    jwksCooldownSec: z.number().min(0).max(3600).default(30),
    /** Allowed clock difference for exp/nbf/iat, bounded so that an expired token cannot live on. */
    clockToleranceSec: z.number().int().min(0).max(300).default(30),
    /** Claim holding the end user (the ledger's key column reads `jwt:<issuer name>:<value>`). */
    userClaim: z.string().default('sub'),
    /** Claim holding a team id (string); or map groups to teams with `groupTeams`. */
    teamClaim: z.string().optional(),
    groupsClaim: z.string().default('groups'),
    /** Group → team id; the first group of the token (in this map's order) that is listed wins. */
    groupTeams: z.record(z.string(), z.string()).default({}),
    /** Team for tokens that name none (by claim or group); absent: such tokens are refused. */
    defaultTeam: z.string().optional(),
    /** Budgets and limits of each end user (each user's own counters, within the team's). */
    userBudgets: z.array(budget).default([]),
    userRateLimits: rateLimits.optional(),
    /** Narrows the team's models for these users. */
    allowedModels: z.array(z.string()).optional(),
  })
  .strict();

const auth = z
  .object({
    /** Issuer name (used in user ids and logs) → its settings. */
    jwt: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.`, `-`'), jwtIssuer).default({}),
  })
  .strict();

const team = z
  .object({
    name: z.string().optional(),
    /**
     * Model names this team may use: `*` for all, a public name, `provider/model`, or `provider/*` (which
     * also lets `provider/<any upstream id>` names pass straight to that provider).
     */
    allowedModels: z.array(z.string()).default(['*']),
    budgets: z.array(budget).default([]),
    rateLimits: rateLimits.optional(),
    /** Per-team overrides of the gateway-wide `guards` and `cache` sections. */
    policy: teamPolicySchema.default({}),
  })
  .strict();

const key = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.`, `-`'),
    team: z.string(),
    name: z.string().optional(),
    /** The secret itself (use an `${ENV}` reference), hashed at load. Empty means "skip this key". */
    key: z.string().optional(),
    /** Or the sha256 hex of the secret, so the config never holds it. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters').optional(),
    budgets: z.array(budget).default([]),
    rateLimits: rateLimits.optional(),
    expiresAt: z.iso.datetime().optional(),
  })
  .strict()
  .refine((k) => k.key !== undefined || k.sha256 !== undefined, 'a key needs `key` or `sha256`');

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: z.coerce.number().int().min(0).max(65535).default(8080),
        bodyLimitBytes: z.number().int().positive().default(16 * 1024 * 1024),
        /** A request (head and body) must arrive whole within this; slow clients are cut with 408 (docs/operations.md). */
        requestTimeoutMs: z.number().int().positive().default(60_000),
        /**
         * Connections the kernel queues for the API listener before the gateway accepts them (listen(2) backlog;
         * Linux caps it at net.core.somaxconn). Node accepts one connection per event-loop turn, and turns are long
         * while thousands of streams are relayed: with Node's default, 511, a burst of new streams overflowed the
         * queue, the kernel dropped SYNs and handshake ACKs, and clients saw connect timeouts or `ECONNRESET`
         * (docs/performance.md, "3,000 streams: the resets were the listen backlog").
         */
        listenBacklog: z.number().int().positive().max(65_535).default(4096),
        /** Token for /admin and the all-teams dashboard view; empty disables the admin API. */
        adminToken: z.string().default(''),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** On shutdown, how long running requests (streams) may take to finish before connections are cut. */
        shutdownGraceMs: z.number().int().nonnegative().default(15_000),
        /**
         * A streamed answer silent this long (a model thinking mid-stream) gets an SSE comment line, so load
         * balancers and proxies with an idle timeout do not cut it; 0 disables.
         */
        sseKeepAliveMs: z.number().int().nonnegative().default(15_000),
        /**
         * A client that takes nothing of a stream for this long (connected, but not reading) is disconnected and
         * its request settles as a client abort: it would otherwise hold its upstream connection and its budget
         * hold for as long as it stays connected. 0 disables.
         */
        clientStallMs: z.number().int().nonnegative().default(60_000),
        /**
         * Output tokens a stream without a max first holds against budgets (extended as it grows); also the hold
         * of a non-streamed request to a model entry without `maxOutputTokens`.
         */
        defaultMaxOutputTokens: z.number().int().positive().default(4096),
        admin: sideListener.default(() => ({ enabled: true })),
        /**
         * `/metrics` lists every team's spend and budget: on the API port it answers only with
         * `Authorization: Bearer <token>`; on a separate `port` (an operator listener) it is open unless a token is set.
         */
        metrics: sideListener
          .extend({
            token: z.string().default(''),
            /** Per-key series (`gateway_key_*`) for the first this many keys seen, the rest as `other`; 0 = none. */
            keySeries: z.number().int().min(0).max(10_000).default(0),
          })
          .default(() => ({ enabled: true, token: '', keySeries: 0 })),
        /** The spend dashboard (/dashboard) on the API port. */
        dashboard: z.object({ enabled: z.boolean().default(true) }).strict().default(() => ({ enabled: true })),
      })
      .strict()
      .prefault({}),
    state: z
      .object({
        kind: z.enum(['sqlite', 'redis']).default('sqlite'),
        dataDir: z.string().default('./data'),
        redisUrl: z.string().optional(),
        /** When the state store is unreachable: refuse requests (503) or serve them unmetered with a warning. */
        failMode: z.enum(['closed', 'open']).default('closed'),
        usageRetentionDays: z.number().int().positive().default(400),
        /**
         * The request `metadata` key whose value the usage ledger records as the request's `tag` (e.g. `project` or
         * `feature`), so spend can be broken down by it; unset: no tag. At most 128 characters of the value are kept.
         */
        usageTag: z.string().min(1).max(64).optional(),
        /**
         * Usage-ledger write-behind: requests are summed in memory and written every this many ms (0 = at once).
         * Budgets always settle per request; a crash loses at most this window of ledger detail.
         */
        ledgerFlushMs: z.number().int().nonnegative().default(1000),
      })
      .strict()
      .prefault({}),
    providers: z.record(z.string(), provider),
    models: z.record(z.string(), model).default({}),
    /** Public model names → targets + strategy (see docs/routing.md); shadow `models` entries of the same name. */
    routes: routesSchema.default({}),
    /** Failover: retry policy and circuit breakers (see docs/routing.md). */
    routing: routingSchema.default(() => routingSchema.parse({})),
    /** Embeddings for the semantic cache, deny topics and semantic routes. `off` turns those features off. */
    embeddings: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('off') }).strict(),
        z
          .object({
            kind: z.literal('local'),
            model: z.string().default('Xenova/all-MiniLM-L6-v2'),
            modelDir: z.string().default('./models'),
            allowRemote: z.boolean().default(false),
            quantized: z.boolean().default(true),
            /** Embedder tuning (docs/semantic.md); unset keeps the embedder's defaults. */
            batchSize: z.number().int().positive().optional(),
            threads: z.number().int().positive().optional(),
            cacheDir: z.string().optional(),
            loadTimeoutMs: z.number().int().positive().optional(),
            restartDelayMs: z.number().int().positive().optional(),
            embedTimeoutMs: z.number().int().positive().optional(),
          })
          .strict(),
        z
          .object({
            /** Universal Sentence Encoder lite from the npm registry: works offline, nothing to download. */
            kind: z.literal('use-lite'),
            batchSize: z.number().int().positive().optional(),
            threads: z.number().int().positive().optional(),
            loadTimeoutMs: z.number().int().positive().optional(),
            restartDelayMs: z.number().int().positive().optional(),
            embedTimeoutMs: z.number().int().positive().optional(),
          })
          .strict(),
        z
          .object({
            kind: z.literal('provider'),
            provider: z.string(),
            model: z.string(),
            dimension: z.number().int().positive().optional(),
            /** Tokens the model reads of one input (default 128); the semantic cache embeds nothing longer. */
            maxInputTokens: z.number().int().positive().optional(),
          })
          .strict(),
      ])
      .default({ kind: 'off' }),
    vectorStore: z
      .object({
        kind: z.enum(['embedded', 'qdrant']).default('embedded'),
        /** Embedded: bound on entries (least recently used evicted). */
        maxEntries: z.number().int().positive().default(100_000),
        url: z.string().optional(),
        apiKey: z.string().optional(),
        collection: z.string().default('gateway_cache'),
        /** Qdrant: limit on each search/upsert/delete (a hung Qdrant costs a cache miss, not a stalled request). */
        timeoutMs: z.number().int().positive().default(5000),
      })
      .strict()
      .prefault({}),
    /** Gateway-wide guard policy; teams override it in `policy.guards`. */
    guards: guardPolicySchema.default({}),
    /** Gateway-wide cache policy; teams override it in `policy.cache`. */
    cache: cachePolicySchema.default({}),
    /** Upstream MCP servers behind /mcp (docs/mcp.md). */
    mcp: mcpConfigSchema.prefault({}),
    teams: z.record(z.string(), team).default({}),
    keys: z.array(key).default([]),
    /** JWT / OIDC consumers (docs/auth.md). */
    auth: auth.default({ jwt: {} }),
    /** OpenTelemetry traces over OTLP/HTTP, off by default (docs/operations.md "Traces"). */
    telemetry: telemetryConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const [name, m] of Object.entries(cfg.models)) {
      if (!cfg.providers[m.provider])
        ctx.addIssue({ code: 'custom', path: ['models', name, 'provider'], message: `unknown provider "${m.provider}"` });
    }
    for (const issue of routeConfigIssues(cfg)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    if (cfg.embeddings.kind === 'provider' && cfg.providers[cfg.embeddings.provider]?.kind !== 'openai') {
      ctx.addIssue({ code: 'custom', path: ['embeddings', 'provider'], message: 'must name a provider of kind openai' });
    }
    if (cfg.vectorStore.kind === 'qdrant' && !cfg.vectorStore.url) {
      ctx.addIssue({ code: 'custom', path: ['vectorStore', 'url'], message: 'required when kind is qdrant' });
    }
    for (const [name, j] of Object.entries(cfg.auth.jwt)) {
      for (const t of [j.defaultTeam, ...Object.values(j.groupTeams)]) {
        if (t !== undefined && !cfg.teams[t]) ctx.addIssue({ code: 'custom', path: ['auth', 'jwt', name], message: `unknown team "${t}"` });
      }
    }
    cfg.keys.forEach((k, i) => {
      if (!cfg.teams[k.team]) ctx.addIssue({ code: 'custom', path: ['keys', i, 'team'], message: `unknown team "${k.team}"` });
    });
  });

export type GatewayConfig = z.output<typeof configSchema>;
export type ModelConfig = z.output<typeof model>;
export type TeamConfig = z.output<typeof team>;
export type KeyConfig = z.output<typeof key>;
export type BudgetConfig = z.output<typeof budget>;
export type SideListenerConfig = z.output<typeof sideListener>;
export type ProviderEntry = z.output<typeof provider>;
