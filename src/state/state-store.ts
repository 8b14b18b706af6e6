/**
 * The StateStore: everything the gateway shares between requests and replicas — teams, keys, budgets (by
 * reservation), rate limits, the usage ledger and the exact-match cache. Two implementations pass one contract
 * suite (`test/state/state-store.contract.ts`): SQLite (embedded default) and Redis (scale-out).
 */
import type {
  ApiKey,
  BudgetStatus,
  ExtendInput,
  KeyRotation,
  KeyUpdate,
  RateLimitInput,
  RateLimitResult,
  ReserveInput,
  ReserveResult,
  Scope,
  ScopeBudgets,
  SettleInput,
  SettleResult,
  Team,
  UsageQuery,
  UsageRecord,
  UsageRow,
} from './types.js';

export * from './types.js';
export type { CalibrationBand } from './calibration.js';
export type { AuditActor, AuditEntry, AuditQuery } from './audit.js';
export type { PromptTemplate, TemplateMessage, TemplateParams, TemplatePublication, TemplateUsage, TemplateUsageRow, TemplateVersion } from './templates.js';
import type { PromptTemplate, TemplateUsage, TemplateUsageRow } from './templates.js';
import type { AuditEntry, AuditQuery } from './audit.js';
import type { CalibrationBand } from './calibration.js';
export { StateUnavailableError, UnknownReservationError } from './errors.js';

/**
 * Shared gateway state. Lifetime: one instance per process, opened by a `create*StateStore()` factory, closed by
 * `close()`. Every method is async and safe to call concurrently; budget and rate-limit operations are atomic
 * across all processes sharing the backend. When the backend cannot be reached a method rejects quickly (well
 * under a second) with `StateUnavailableError` — it never hangs — and later calls succeed again once the
 * backend is back, without a restart. Other errors (bugs, invalid input) are rethrown as they are.
 */
export interface StateStore {
  /** `'sqlite'` or `'redis'`, for logs and metrics. */
  readonly kind: string;

  // ── teams and keys (admin data; changes are visible to every replica at the next call) ──
  /** Creates or replaces a team (by id). */
  upsertTeam(team: Team): Promise<void>;
  getTeam(id: string): Promise<Team | undefined>;
  listTeams(): Promise<Team[]>;
  /** Deletes the team and all its keys. Returns false when it did not exist. */
  deleteTeam(id: string): Promise<boolean>;
  /** Stores a new key record; rejects when the id or hash already exists. */
  createKey(key: ApiKey): Promise<void>;
  /** The hot path of authentication: one indexed read. Returns revoked/expired keys too (the caller decides). */
  getKeyByHash(hash: string): Promise<ApiKey | undefined>;
  /**
   * Optional: `getKeyByHash` and the key's team in one call, for a networked store where each call is a round
   * trip (authentication runs on every request). Same answers as the two calls; the caller falls back to them.
   */
  getKeyAndTeamByHash?(hash: string): Promise<{ key: ApiKey; team: Team | undefined } | undefined>;
  getKey(id: string): Promise<ApiKey | undefined>;
  listKeys(teamId?: string): Promise<ApiKey[]>;
  /** Returns the updated key, or undefined when it does not exist. */
  updateKey(id: string, patch: KeyUpdate): Promise<ApiKey | undefined>;
  /**
   * A new secret for the same key (same id, budgets, usage history): the key's hash and prefix become the new
   * ones and the replaced secret is kept as `previous` until `previousUntil` (`getKeyByHash` of it returns the
   * key as seen through that secret: its hash and prefix, revoked at `previousUntil`). A secret replaced earlier
   * stops at once. Undefined when the key does not exist; rejects when the new hash is in use.
   */
  rotateKeySecret(id: string, rotation: KeyRotation): Promise<ApiKey | undefined>;
  /** Sets `revokedAt` (idempotent: the first revocation time is kept). Returns false when the key does not exist. */
  revokeKey(id: string, at?: number): Promise<boolean>;
  /** Records use; writes at most once per `touchIntervalMs` per key and process, so it is cheap per request. */
  touchKey(id: string, at: number): Promise<void>;

  // ── budgets ──
  /** Holds `costMicros`/`tokens` on every budget of every scope, all or nothing. Idempotent by requestId. */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  /** Holds more on the same budgets and renews the lease. Throws `UnknownReservationError` if not active. */
  extend(input: ExtendInput): Promise<ReserveResult>;
  /** Releases the hold and records the actual spend — exactly once per requestId. */
  settle(input: SettleInput): Promise<SettleResult>;
  getBudgetStatus(scopes: ScopeBudgets[], opts?: { teamId?: string; now?: number }): Promise<BudgetStatus[]>;

  // ── rate limits ──
  /** Sliding-window log over the trailing 60 s: allowed requests are recorded, denied ones are not. */
  rateLimit(input: RateLimitInput): Promise<RateLimitResult>;
  /**
   * Takes back an entry `rateLimit` recorded, for a request another scope then refused (it was never served, so
   * it must not use up this scope's window). No-op for an entry already gone.
   */
  rateLimitRelease(scope: Scope, entry: string): Promise<void>;

  // ── admin audit trail (docs/admin-api.md, audit) ──
  /** Stores one admin change; idempotent by `entry.id`. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Entries newest first, filtered; at most `limit` (default 100, max 1000). */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  // ── semantic cache calibration (docs/semantic.md) ──
  /**
   * Counts one shadow comparison of a team's would-be semantic hit in its similarity band, with what the compared
   * call cost (micro-USD, what serving would have saved; 0 when unknown); atomic across replicas.
   */
  recordCalibration(teamId: string, band: string, agreed: boolean, costMicros?: number): Promise<void>;
  /** The team's counts per band (bands never recorded are absent), sorted by band. */
  getCalibration(teamId: string): Promise<CalibrationBand[]>;

  // ── managed prompt templates (docs/templates.md) ──
  getTemplate(id: string): Promise<PromptTemplate | undefined>;
  /** Every template (global and all teams'), sorted by id. */
  listTemplates(): Promise<PromptTemplate[]>;
  /**
   * Writes the whole template if its stored revision is `expectedRevision` (0: it must not exist yet), atomically
   * across replicas; `template.revision` should be `expectedRevision + 1`. False on a conflict (re-read, retry).
   */
  saveTemplate(template: PromptTemplate, expectedRevision: number): Promise<boolean>;
  /** False when it did not exist. Its usage aggregate goes with it. */
  deleteTemplate(id: string): Promise<boolean>;
  /** Adds one request to the template's usage (UTC day × version × team); exact under concurrent replicas. */
  recordTemplateUsage(usage: TemplateUsage): Promise<void>;
  /** The template's usage rows of the days in [from, to) (epoch ms; `from` rounds down to its day), by day, version, team. */
  queryTemplateUsage(template: string, query?: { from?: number; to?: number }): Promise<TemplateUsageRow[]>;

  // ── usage ledger ──
  /** Adds to the hour × team × key × model × provider aggregate. */
  recordUsage(record: UsageRecord): Promise<void>;
  /** Rows sorted by bucket then by the grouped dimensions. */
  queryUsage(query: UsageQuery): Promise<UsageRow[]>;
  /** Deletes aggregates of hours strictly before `before`. Returns the number of rows removed. */
  pruneUsage(before: number): Promise<number>;

  // ── exact cache ──
  cacheGet(key: string): Promise<string | undefined>;
  cacheSet(key: string, value: string, ttlMs: number): Promise<void>;

  /**
   * The id of the backend's data set, created with it: a different id than before, or `created`, means the backend
   * lost its data (Redis restarted without persistence, or was flushed), so what the gateway wrote there (the
   * config's teams and keys) must be written again. See `state-loss.ts`.
   */
  dataEpoch(): Promise<{ id: string; created: boolean }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
