/**
 * Records and call shapes of the StateStore. All times are epoch milliseconds (UTC); all money is integer
 * micro-dollars (1 USD = 1_000_000); all token counts are integers. Records are plain JSON-able objects.
 */

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly' | 'lifetime';
export type BudgetKind = 'usd' | 'tokens';

/** One budget: a USD and/or token limit per calendar period (UTC; weeks start Monday). */
export interface Budget {
  period: BudgetPeriod;
  /** Hard limit in micro-dollars for the period. */
  usdMicros?: number;
  /** Hard limit in tokens (prompt + completion) for the period. */
  tokens?: number;
  /** Fraction 0..1 of a limit that triggers one soft notification per period (e.g. 0.8). */
  softThreshold?: number;
  /** Called by the pipeline (not the store) when the soft threshold is crossed. */
  webhookUrl?: string;
}

export interface RateLimits {
  /** Requests per minute (trailing 60 s window). */
  rpm?: number;
  /** Tokens per minute (trailing 60 s window). */
  tpm?: number;
}

export interface Team {
  id: string;
  name: string;
  /** Models this team may call; `'*'` allows all. */
  allowedModels: string[];
  budgets: Budget[];
  rateLimits?: RateLimits;
  /** Opaque JSON (guard and cache policy); the store never interprets it. */
  policy: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** An API key. The secret is never stored: only its sha256 hex (`hash`) and a display prefix. */
export interface ApiKey {
  id: string;
  teamId: string;
  name: string;
  prefix: string;
  hash: string;
  createdAt: number;
  /** Updated by `touchKey`, at most once per `touchIntervalMs` per key (to keep the hot path write-free). */
  lastUsedAt?: number;
  expiresAt?: number;
  revokedAt?: number;
  budgets: Budget[];
  rateLimits?: RateLimits;
  /** Narrows the team's allowed models when present. */
  allowedModels?: string[];
  /**
   * `team_admin`: the key may also call the admin API for its own team (its keys, their budgets within the
   * team's, usage, audit). Absent = `member`: API calls and the team's dashboard only.
   */
  role?: 'member' | 'team_admin';
  /**
   * The secret the last rotation replaced (`rotateKeySecret`): it still authenticates as this key until `until`
   * (the rotation's grace period), then never again. An earlier one stops at the next rotation.
   */
  previous?: { hash: string; prefix: string; until: number };
}

/** `rotateKeySecret` input: the new secret's hash and display prefix, and until when the replaced one works. */
export interface KeyRotation {
  hash: string;
  prefix: string;
  previousUntil: number;
}

/** Fields `updateKey` may change (identity, team and hash are immutable; rotation = new key + revoke). */
/** `revokedAt` may be set directly to bring a pending (grace-period) revocation forward. */
export type KeyUpdate = Partial<Pick<ApiKey, 'name' | 'expiresAt' | 'revokedAt' | 'budgets' | 'rateLimits' | 'allowedModels' | 'role'>>;

/** `team:<id>` or `key:<id>`. */
export type Scope = `team:${string}` | `key:${string}`;

export interface ScopeBudgets {
  scope: Scope;
  budgets: Budget[];
}

export interface ReserveInput {
  /** Idempotency key of the whole request: one reservation, settled once. */
  requestId: string;
  /**
   * Team that owns every scope (a key belongs to one team). Redis keeps all of a team's budget state in one
   * hash slot, so it needs the team; when omitted it is taken from a `team:` scope or looked up from the key.
   */
  teamId?: string;
  scopes: ScopeBudgets[];
  /** Worst-case cost to hold, micro-dollars. */
  costMicros: number;
  /** Worst-case tokens to hold. */
  tokens: number;
  /** The hold is released if neither extended nor settled within this time (the owner died). */
  leaseMs: number;
  now?: number;
}

/** One limit of one budget after the operation. `remaining` = limit − spent − held (may be negative). */
export interface BudgetRemaining {
  scope: Scope;
  period: BudgetPeriod;
  kind: BudgetKind;
  limit: number;
  remaining: number;
  /** Start of the next period; null for lifetime budgets. */
  resetsAt: number | null;
}

export interface BudgetDenied {
  ok: false;
  scope: Scope;
  period: BudgetPeriod;
  kind: BudgetKind;
  limit: number;
  resetsAt: number | null;
}

export type ReserveResult = { ok: true; remaining: BudgetRemaining[] } | BudgetDenied;

export interface ExtendInput {
  requestId: string;
  teamId?: string;
  /** Additional micro-dollars to hold on top of the current hold. */
  costMicros: number;
  /** Additional tokens to hold. */
  tokens: number;
  /** Renews the lease from `now` (default: the lease given at reserve). */
  leaseMs?: number;
  now?: number;
}

export interface SettleInput {
  requestId: string;
  teamId?: string;
  /** Actual cost of the request (recorded even when above the hold: the provider's figures win). */
  costMicros: number;
  /** Actual tokens (prompt + completion). */
  tokens: number;
  now?: number;
}

export interface SettleResult {
  /** False when this request was already settled (nothing recorded twice) or is unknown. */
  settled: boolean;
  /** Budgets whose soft threshold this settlement crossed; each is reported once per period. */
  crossedSoft: { scope: Scope; period: BudgetPeriod; kind: BudgetKind }[];
}

export interface BudgetStatus {
  scope: Scope;
  period: BudgetPeriod;
  /** Limits as given by the caller (absent when that kind is unlimited). */
  usdMicros?: number;
  tokens?: number;
  spentMicros: number;
  spentTokens: number;
  reservedMicros: number;
  reservedTokens: number;
  periodStart: number;
  resetsAt: number | null;
}

export interface RateLimitInput {
  scope: Scope;
  rpm?: number;
  tpm?: number;
  /** Tokens this request is expected to use (counted against tpm when allowed). */
  tokens: number;
  now?: number;
}

export interface RateLimitWindow {
  /** Configured limit per 60 s. */
  limit: number;
  remaining: number;
  /** Time until the window is fully replenished (OpenAI's `x-ratelimit-reset-*`). */
  resetMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Absent when no rpm is configured (then send no `-requests` headers). */
  requests?: RateLimitWindow;
  /** Absent when no tpm is configured. */
  tokens?: RateLimitWindow;
  /** 0 when allowed; otherwise the time until this request would fit (`retry-after`). */
  retryAfterMs: number;
  /** The entry recorded for an allowed request, for `rateLimitRelease`. */
  entry?: string;
}

export interface UsageRecord {
  at: number;
  /**
   * Identifies this write so that a repeat is recorded once: a write whose reply was lost (the store died after
   * applying it) is retried, and must not count twice. Recognised for `USAGE_WRITE_RETENTION_MS` after the write.
   */
  writeId?: string;
  teamId: string;
  keyId: string;
  model: string;
  provider: string;
  /** The API the request came in through (`chat`, `responses`, `messages`, `embeddings`); default `chat`. */
  api?: string;
  /** The end user the client named (`user`, Anthropic's `metadata.user_id`); default '' (none). */
  endUser?: string;
  /** The value of the request's `metadata[state.usageTag]`; default '' (none). */
  tag?: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costMicros: number;
  cacheHits: number;
  savedMicros: number;
  errors: number;
  guardBlocks: number;
}

/**
 * How long after a write a repeat of its `writeId` is still recognised: longer than a store outage the retry queue
 * rides out with its writes (past that it has dropped them anyway), short because Redis holds every id that long.
 */
export const USAGE_WRITE_RETENTION_MS = 3_600_000;

export const USAGE_METRICS = [
  'requests',
  'promptTokens',
  'completionTokens',
  'cachedTokens',
  'costMicros',
  'cacheHits',
  'savedMicros',
  'errors',
  'guardBlocks',
] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export type UsageDimension = 'team' | 'key' | 'model' | 'provider' | 'api' | 'user' | 'tag';

export interface UsageQuery {
  /** Inclusive; rounded down to the hour. */
  from: number;
  /** Exclusive. */
  to: number;
  granularity: 'hour' | 'day';
  teamId?: string;
  keyId?: string;
  model?: string;
  provider?: string;
  api?: string;
  endUser?: string;
  tag?: string;
  /** Dimensions kept in the rows; the others are summed over. Default: none (one row per bucket). */
  groupBy?: UsageDimension[];
}

/** One bucket (hour or UTC day start) × the grouped dimensions; ungrouped dimensions are absent. */
export type UsageRow = { bucket: number; teamId?: string; keyId?: string; model?: string; provider?: string; api?: string; endUser?: string; tag?: string } & Record<
  UsageMetric,
  number
>;
