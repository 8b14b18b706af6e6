/**
 * Guard and cache policy: set gateway-wide in the config (`guards:`, `cache:`) and overridden per team in
 * `team.policy` (config or admin API). Each section merges field by field over the gateway-wide one, so a
 * team sets only what differs. `resolvePolicy` gives the effective policy with every default filled in.
 */
import { z } from 'zod';
import { PII_CATEGORIES } from '../../guards/pii/index.js';
import { checkPolicySize, compilePattern } from '../../guards/prompt-guard/index.js';
import { DEFAULT_INJECTION_THRESHOLD } from '../../guards/injection/index.js';
import { mcpPolicySchema } from '../mcp/mcp-config.js';
import { isRecord } from '../util/is-record.js';

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool']);
const piiAction = z.enum(['redact', 'mask', 'pseudonymise', 'block', 'allow']);
/**
 * A prompt-guard pattern the guard can compile (RE2 syntax): a bad one is refused here (config, reload, admin API),
 * with the pattern itself in the message so the author sees which one of a long list.
 */
const guardPattern = z.string().superRefine((p, ctx) => {
  try {
    compilePattern(p);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `pattern ${JSON.stringify(p)}: ${(err as Error).message}` });
  }
});

/**
 * One external guardrail service (guards/external, docs/guards.md). `apiKeyEnv` names the environment variable
 * holding its key: a policy is readable through the admin API, so it holds no secret itself.
 */
const externalService = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, - and _ (at most 40)'),
    kind: z.enum(['http', 'openai-moderation', 'presidio']),
    url: z.url({ protocol: /^https?$/ }),
    /**
     * Only variables named GUARD_*: whoever may set a team policy (an admin API caller) must not be able to send
     * another of the process's secrets (a provider key) to a URL of their choosing.
     */
    apiKeyEnv: z.string().regex(/^GUARD_[A-Z0-9_]+$/, 'the name of an environment variable starting with GUARD_').optional(),
    timeoutMs: z.number().int().positive().max(60_000).default(2000),
    onError: z.enum(['block', 'allow']).default('block'),
    /** `pii` (presidio only): its spans are redacted, masked or pseudonymised by the PII guard's actions. */
    action: z.enum(['block', 'flag', 'pii']).default('block'),
    roles: z.array(role).default(['user']),
    /** openai-moderation: the moderation model; categories that count (empty: the endpoint's `flagged`). */
    model: z.string().min(1).default('omni-moderation-latest'),
    categories: z.array(z.string().min(1)).default([]),
    /** openai-moderation: a category score at or above this counts too. presidio: a span's minimum score. */
    threshold: z.number().min(0).max(1).optional(),
    /** presidio: the analyzer's language and the entity types asked for (empty: all it has). */
    language: z.string().min(2).max(10).default('en'),
    entities: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.action === 'pii' && s.kind !== 'presidio') ctx.addIssue({ code: 'custom', path: ['action'], message: 'action pii is for kind presidio only' });
  });

export const guardPolicySchema = z
  .object({
    pii: z
      .object({
        enabled: z.boolean(),
        /** Action for categories not listed in `actions`. */
        defaultAction: piiAction,
        actions: z.partialRecord(z.enum(PII_CATEGORIES as unknown as [string, ...string[]]), piiAction),
        maskKeep: z.number().int().nonnegative(),
        /** Which message roles are scanned. */
        roles: z.array(role),
        /** Scan the arguments of earlier assistant tool calls, and tool results (role `tool`). */
        toolArguments: z.boolean(),
        toolResults: z.boolean(),
        /** Redact PII the model writes (streamed with a bounded hold-back). */
        output: z.boolean(),
        /**
         * Directory of a transformers.js token-classification model: adds person names and street addresses
         * (NER). Empty: off. Costs milliseconds per message on the event loop; see docs/guards.md.
         */
        nerModelPath: z.string(),
      })
      .partial()
      .strict(),
    prompt: z
      .object({
        allow: z.array(guardPattern),
        deny: z.array(guardPattern),
        roles: z.array(role),
        maxPromptChars: z.number().int().positive(),
      })
      .partial()
      .strict()
      .superRefine((prompt, ctx) => {
        // Each pattern is bounded on its own above; this bounds the whole list set's matching cost per message.
        try {
          const compiled = (list?: string[]) => (list ?? []).flatMap((p) => { try { return [compilePattern(p)]; } catch { return []; } });
          checkPolicySize(compiled(prompt.allow), compiled(prompt.deny));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: ['deny'] });
        }
      }),
    injection: z
      .object({
        enabled: z.boolean(),
        /** `block`: 400 prompt_injection_detected. `flag`: serve, with `x-gateway-injection-score` and a log line. */
        action: z.enum(['block', 'flag']),
        threshold: z.number().min(0).max(1),
        roles: z.array(role),
      })
      .partial()
      .strict(),
    topics: z
      .object({
        enabled: z.boolean(),
        /** Cosine similarity at or above which a prompt is on a denied topic. */
        threshold: z.number().min(0).max(1),
        deny: z.array(z.object({ name: z.string(), examples: z.array(z.string()).min(1) }).strict()),
        /** Roles whose messages are compared (each on its own, and all of them joined). */
        roles: z.array(role),
        /**
         * When the embedder fails, hangs past `timeoutMs` or is still loading: `block` answers 503
         * `topic_guard_unavailable` (retryable); `allow` serves the request unchecked and logs it.
         */
        onError: z.enum(['block', 'allow']),
        /** Longest wait for the embedder per request. */
        timeoutMs: z.number().int().positive().max(60_000),
      })
      .partial()
      .strict(),
    /** A transformers.js text-classification model from a local directory (guards/classifier, docs/guards.md). */
    classifier: z
      .object({
        enabled: z.boolean(),
        modelPath: z.string(),
        /** Labels of the model that count as a hit (e.g. INJECTION); their probability is compared with `threshold`. */
        labels: z.array(z.string().min(1)).min(1),
        threshold: z.number().min(0).max(1),
        roles: z.array(role),
        /** `block`: 400 classifier_denied. `flag`: serve, with `x-gateway-guard-flags`. */
        action: z.enum(['block', 'flag']),
        /** Model missing, broken or past `timeoutMs`: `block` answers 503 guard_unavailable; `allow` serves unchecked. */
        onError: z.enum(['block', 'allow']),
        timeoutMs: z.number().int().positive().max(60_000),
      })
      .partial()
      .strict(),
    /** An LLM judge: a model of the gateway's catalog asked for a verdict (guards/llm-judge, docs/guards.md). */
    judge: z
      .object({
        enabled: z.boolean(),
        /** A model name of the catalog (or `provider/model`); called through routing and billed to the team. */
        model: z.string(),
        /** `llama-guard`: answers `safe` / `unsafe\nS1,S2`. `json`: answers {"verdict":"safe"|"unsafe",…}. */
        format: z.enum(['llama-guard', 'json']),
        /** The policy the judge applies: its system prompt (`json`; optional for `llama-guard`, whose template has one). */
        policy: z.string().max(20_000),
        /** Llama Guard categories (S1…S14) that count; empty: any `unsafe`. */
        categories: z.array(z.string().min(1)),
        roles: z.array(role),
        action: z.enum(['block', 'flag']),
        onError: z.enum(['block', 'allow']),
        timeoutMs: z.number().int().positive().max(60_000),
        /** The judge's answer is a verdict: a short cap keeps its hold and its cost small. */
        maxTokens: z.number().int().positive().max(4096),
        /** How long a verdict is reused for the same policy and text. 0: no cache. */
        cacheTtlSeconds: z.number().int().nonnegative(),
      })
      .partial()
      .strict(),
    /** External guardrail services: a generic HTTP hook, the OpenAI moderation endpoint, a Presidio analyzer. */
    external: z
      .object({
        services: z
          .array(externalService)
          .max(8)
          .superRefine((list, ctx) => {
            const seen = new Set<string>();
            for (const s of list) {
              if (seen.has(s.name)) ctx.addIssue({ code: 'custom', message: `external guard name ${JSON.stringify(s.name)} is used twice` });
              seen.add(s.name);
            }
          }),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

export const cachePolicySchema = z
  .object({
    /** `on` serves hits; `shadow` computes would-be semantic hits and logs them without serving; `off`. */
    mode: z.enum(['on', 'shadow', 'off']),
    /**
     * Semantic layer (embeddings); the exact layer always runs when the cache is on. `shadow` (the default)
     * looks up, verifies and compares would-be hits with the provider's answer without serving them; `on` serves
     * verified hits in the similarity bands the team's shadow traffic calibrated (`calibration`). Booleans of
     * earlier versions read as `on` / `off`.
     */
    semantic: z.union([z.boolean(), z.enum(['on', 'shadow', 'off'])]).transform((v) => (v === true ? 'on' : v === false ? 'off' : v)),
    /**
     * When `semantic: on` serves: only in similarity bands whose shadow comparisons agreed at least `precision`
     * of the time over at least `minSamples` comparisons. `minSamples: 0` serves every verified hit above the
     * threshold without calibration.
     */
    calibration: z.object({ precision: z.number().min(0).max(1), minSamples: z.number().int().nonnegative() }).partial().strict(),
    /** `user`: entries are kept apart per end user (the request's `user` field) inside the team's namespace. */
    partitionBy: z.enum(['team', 'user']),
    /**
     * Directory of a transformers.js NLI cross-encoder (sequence classification with an "entailment" label): a
     * semantic candidate is then served only if each prompt entails the other. Empty: off. See docs/semantic.md.
     */
    verifierModelPath: z.string(),
    ttlSeconds: z.number().int().positive(),
    similarityThreshold: z.number().min(0).max(1),
    /** Requests with a higher temperature are not cached (their answers are meant to vary). */
    maxTemperature: z.number().min(0).max(2),
    /** Cache answers that contain tool calls. */
    cacheToolCalls: z.boolean(),
    /** Cache namespace: the team by default; teams with the same `scope` share entries. */
    scope: z.string().min(1),
  })
  .partial()
  .strict();

/** `mcp`: the team's MCP server and tool allow-lists (src/mcp/team-access.ts reads it; docs/mcp.md). */
export const teamPolicySchema = z.object({ guards: guardPolicySchema, cache: cachePolicySchema, mcp: mcpPolicySchema }).partial().loose();

export type GuardPolicyInput = z.infer<typeof guardPolicySchema>;
export type CachePolicyInput = z.infer<typeof cachePolicySchema>;

export const GUARD_DEFAULTS = {
  pii: { enabled: false, defaultAction: 'pseudonymise', actions: {}, maskKeep: 4, roles: ['system', 'developer', 'user', 'assistant'], toolArguments: true, toolResults: true, output: false, nerModelPath: '' },
  prompt: { allow: [], deny: [], roles: ['user'], maxPromptChars: 0 },
  injection: { enabled: false, action: 'block', threshold: DEFAULT_INJECTION_THRESHOLD, roles: ['user'] },
  topics: { enabled: false, threshold: 0.8, deny: [], roles: ['user'], onError: 'block', timeoutMs: 2000 },
  classifier: { enabled: false, modelPath: '', labels: ['INJECTION'], threshold: 0.5, roles: ['user'], action: 'block', onError: 'block', timeoutMs: 2000 },
  judge: { enabled: false, model: '', format: 'llama-guard', policy: '', categories: [], roles: ['user'], action: 'block', onError: 'block', timeoutMs: 5000, maxTokens: 64, cacheTtlSeconds: 3600 },
  external: { services: [] },
} as const;

export const CACHE_DEFAULTS = {
  mode: 'off',
  // Until a team's own traffic has calibrated it (docs/semantic.md), the semantic layer only watches.
  semantic: 'shadow',
  calibration: { precision: 0.999, minSamples: 1000 },
  partitionBy: 'team',
  verifierModelPath: '',
  ttlSeconds: 3600,
  // A wrong cached answer costs more than a miss: 0.95 keeps false hits ≤ 2 % in docs/semantic.md's measurement.
  similarityThreshold: 0.95,
  maxTemperature: 1,
  cacheToolCalls: false,
  scope: '',
} as const;

type Filled<T> = { [K in keyof T]-?: NonNullable<T[K]> };
export type EffectiveGuards = { [K in keyof typeof GUARD_DEFAULTS]: Filled<NonNullable<GuardPolicyInput[K]>> };
export type EffectiveCache = Omit<Filled<CachePolicyInput>, 'calibration'> & { calibration: { precision: number; minSamples: number } };
export interface EffectivePolicy {
  guards: EffectiveGuards;
  cache: EffectiveCache;
}


/** The settings of `value` that `schema` accepts one by one; the others are named in `invalid`. */
function validSettings(schema: z.ZodObject, value: unknown, path: string, invalid: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    invalid.push(path);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const parsed = schema.shape[key]?.safeParse(v);
    if (parsed?.success) out[key] = parsed.data;
    else invalid.push(`${path}.${key}`);
  }
  return out;
}

/**
 * A team's stored policy, read setting by setting. The admin API and the config validate a policy before it is
 * stored, so an invalid one was written by another version of the gateway (a setting since renamed, a replica
 * not yet upgraded). Why not drop the whole policy: the team's stricter guards would silently fall back to the
 * gateway-wide ones. Only the settings that do not validate are left out, and named so the caller can log them.
 */
export function readTeamPolicy(team: Record<string, unknown>): { policy: z.infer<typeof teamPolicySchema>; invalid: string[] } {
  const whole = teamPolicySchema.safeParse(team);
  if (whole.success) return { policy: whole.data, invalid: [] };
  const invalid: string[] = [];
  const guards: Record<string, unknown> = {};
  const storedGuards = team.guards;
  if (storedGuards !== undefined && !isRecord(storedGuards)) invalid.push('guards');
  for (const [section, schema] of Object.entries(guardPolicySchema.shape)) {
    const value = isRecord(storedGuards) ? storedGuards[section] : undefined;
    guards[section] = validSettings(schema.unwrap(), value, `guards.${section}`, invalid);
  }
  if (isRecord(storedGuards)) for (const key of Object.keys(storedGuards)) if (!(key in guardPolicySchema.shape)) invalid.push(`guards.${key}`);
  const cache = validSettings(cachePolicySchema, team.cache, 'cache', invalid);
  return { policy: { guards, cache } as z.infer<typeof teamPolicySchema>, invalid };
}

/** Defaults ← gateway-wide config ← team policy, merged per section. Pure; `invalid` as in readTeamPolicy. */
export function resolvePolicy(
  global: { guards?: GuardPolicyInput; cache?: CachePolicyInput },
  team: Record<string, unknown>,
): EffectivePolicy & { invalid: string[] } {
  const { policy: t, invalid } = readTeamPolicy(team);
  const guards = {} as Record<string, unknown>;
  for (const section of Object.keys(GUARD_DEFAULTS) as (keyof typeof GUARD_DEFAULTS)[]) {
    guards[section] = { ...GUARD_DEFAULTS[section], ...global.guards?.[section], ...t.guards?.[section] };
  }
  return {
    guards: guards as EffectiveGuards,
    cache: {
      ...CACHE_DEFAULTS,
      ...global.cache,
      ...t.cache,
      calibration: { ...CACHE_DEFAULTS.calibration, ...global.cache?.calibration, ...t.cache?.calibration },
    } as EffectiveCache,
    invalid,
  };
}
