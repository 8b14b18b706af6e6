/**
 * Applies the config's teams and keys to the StateStore at start. Decision: for ids the config declares, the
 * config wins at every start (it is the declarative source); teams and keys created through the admin API
 * and not named in the config are never touched. Prints a first-run key for team `default` when it has none.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BudgetConfig, GatewayConfig } from './config/schema.js';
import type { ApiKey, Budget, StateStore } from './state/state-store.js';
import { displayPrefix, generateKey, hashKey } from './auth/keys.js';
import { parseUsdToMicros } from './usage/pricing.js';

type KeyConfig = GatewayConfig['keys'][number];

/** A budget as written in config or sent to the admin API (USD as a decimal) → the stored form (micro-dollars). */
export function toBudget(b: Pick<BudgetConfig, 'period' | 'usd' | 'tokens' | 'softThreshold' | 'webhookUrl'>): Budget {
  // Absent limits stay absent (not `undefined` values): stores serialise budgets as JSON.
  const budget: Budget = { period: b.period };
  if (b.usd !== undefined) budget.usdMicros = parseUsdToMicros(b.usd);
  if (b.tokens !== undefined) budget.tokens = b.tokens;
  if (b.softThreshold !== undefined) budget.softThreshold = b.softThreshold;
  if (b.webhookUrl !== undefined) budget.webhookUrl = b.webhookUrl;
  return budget;
}

export interface BootstrapResult {
  /** The secret of a key created at this start (printed once, never stored). */
  createdKey?: string;
  /** Its id, so a start that fails before printing it can revoke it (else no key would ever be shown). */
  createdKeyId?: string;
}

export async function applyConfig(config: GatewayConfig, store: StateStore, logger: Logger): Promise<BootstrapResult> {
  const now = Date.now();
  for (const [id, t] of Object.entries(config.teams)) {
    const existing = await store.getTeam(id);
    await store.upsertTeam({
      id,
      name: t.name ?? id,
      allowedModels: t.allowedModels,
      budgets: t.budgets.map(toBudget),
      rateLimits: t.rateLimits,
      policy: t.policy,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
  }
  const declared = new Set(config.keys.map((k) => k.id));
  let allKeys: ApiKey[] | undefined;
  for (const k of config.keys) {
    const hash = k.sha256 ?? (k.key ? hashKey(k.key) : undefined);
    if (!hash) continue; // `${GATEWAY_API_KEY:-}` unset: no key from config
    const current = await applyConfigKey(k, hash, store, logger, now);
    // Only a file whose secret is live supersedes others: a replica restarting with a stale file (its secret
    // already replaced and revoked) must not revoke the newer secret.
    if (current && !(current.revokedAt !== undefined && current.revokedAt <= now)) {
      allKeys ??= await store.listKeys();
      await revokeSupersededSecrets(store, k.id, current, allKeys, declared, now);
    }
  }
  return ensureDefaultKey(config, store, logger, now);
}

/**
 * Writes the config's teams and keys again into a store that lost its data (state-loss.ts). A first-run key of
 * team `default` is created and printed again only when the config gives none (GATEWAY_API_KEY unset): the old
 * one was lost with the data.
 */
export async function restoreConfig(config: GatewayConfig, store: StateStore, logger: Logger): Promise<{ teams: number; keys: number }> {
  const { createdKey } = await applyConfig(config, store, logger);
  if (createdKey) logger.warn({ team: 'default' }, `the first-run key of team default was lost with the state; a new one was created: ${createdKey}`);
  return { teams: Object.keys(config.teams).length, keys: config.keys.length + (createdKey ? 1 : 0) };
}

/** Stores one config key (created, or updated from the file); returns its record as stored now. */
async function applyConfigKey(k: KeyConfig, hash: string, store: StateStore, logger: Logger, now: number): Promise<ApiKey | undefined> {
  const secret = k.key;
  const record = {
    name: k.name ?? k.id,
    budgets: k.budgets.map(toBudget),
    rateLimits: k.rateLimits,
    expiresAt: k.expiresAt ? Date.parse(k.expiresAt) : undefined,
  };
  const existing = await store.getKeyByHash(hash);
  if (existing) {
    // A revocation is never undone by the file (it may have been a leak); say so rather than fail silently.
    if (existing.revokedAt !== undefined && existing.revokedAt <= now) logger.warn({ keyId: k.id }, 'the secret of this config key was revoked earlier and stays revoked; put a new secret in the config');
    // A key never changes team: its spend, budgets and limits are counted under its team (on Redis, in that
    // team's hash slot), so moving it would restart its key budgets. Its team stays; say so at every start and
    // reload rather than bill the old team silently. A new secret in the file creates the key in the new team.
    if (existing.teamId !== k.team) {
      logger.warn(
        { keyId: existing.id, team: existing.teamId, configTeam: k.team },
        `config key ${k.id} belongs to team ${existing.teamId}, not ${k.team} as the config says: a key cannot change team; its requests still count for ${existing.teamId}. Give it a new secret in the config to issue it to ${k.team} (the old secret is revoked)`,
      );
    }
    return store.updateKey(existing.id, record);
  }
  const previous = await store.getKey(k.id);
  if (previous?.hash === hash) {
    // A replica starting beside this one created it between our two reads: it is this very key, keep it.
    return store.updateKey(previous.id, record);
  }
  // The secret changed: revoke the key that had this id and store the new one under an id derived from it.
  if (previous) await store.revokeKey(k.id, now);
  const id = previous ? `${k.id}.${hash.slice(0, 8)}` : k.id;
  const key: ApiKey = { id, teamId: k.team, prefix: secret ? displayPrefix(secret) : 'gw-…', hash, createdAt: now, ...record };
  try {
    await store.createKey(key);
    return key;
  } catch (err) {
    // Replicas starting together on one Redis race to create the same key: the loser finds the winner's.
    const created = await store.getKeyByHash(hash);
    if (!created) throw err;
    return store.updateKey(created.id, record);
  }
}

/**
 * Revokes the earlier secrets of config key `id`: records under `id` itself or under a derived id
 * (`<id>.<first 8 hex of their hash>`, see `applyConfigKey`) created before `current`. Without this, a secret
 * changed twice in the file left the middle one working (only the record under `id` was revoked).
 */
async function revokeSupersededSecrets(store: StateStore, id: string, current: ApiKey, keys: ApiKey[], declared: Set<string>, now: number): Promise<void> {
  for (const old of keys) {
    if (old.hash === current.hash || old.createdAt > current.createdAt || (old.revokedAt !== undefined && old.revokedAt <= now)) continue;
    const derived = old.id === `${id}.${old.hash.slice(0, 8)}` && !declared.has(old.id);
    if (old.id !== id && !derived) continue;
    if (old.revokedAt === undefined) await store.revokeKey(old.id, now);
    else await store.updateKey(old.id, { revokedAt: now }); // a pending (grace-period) revocation, brought forward
  }
}

/**
 * At a reload: revokes the keys the previous file declared and the new one no longer does (by the secret the old
 * file named), so deleting a key from the file stops it like a revocation. Only a reload knows what the file
 * used to say; a key removed while the gateway was stopped is not touched here (revoke it through the admin API).
 */
export async function revokeRemovedConfigKeys(previous: GatewayConfig, next: GatewayConfig, store: StateStore, logger: Logger, now = Date.now()): Promise<void> {
  const hashOf = (k: KeyConfig) => k.sha256 ?? (k.key ? hashKey(k.key) : undefined);
  const kept = new Set(next.keys.flatMap((k) => [k.id, hashOf(k)]));
  for (const k of previous.keys) {
    const hash = hashOf(k);
    if (!hash || kept.has(k.id) || kept.has(hash)) continue;
    const key = await store.getKeyByHash(hash);
    if (!key || (key.revokedAt !== undefined && key.revokedAt <= now)) continue;
    if (key.revokedAt === undefined) await store.revokeKey(key.id, now);
    else await store.updateKey(key.id, { revokedAt: now });
    logger.info({ keyId: key.id }, 'key removed from the config: revoked');
  }
}

async function ensureDefaultKey(config: GatewayConfig, store: StateStore, logger: Logger, now: number): Promise<BootstrapResult> {
  if (!config.teams.default) return {};
  const keys = await store.listKeys('default');
  if (keys.some((k) => k.revokedAt === undefined)) return {};
  const secret = generateKey();
  const id = `default-${now.toString(36)}-${randomUUID().slice(0, 6)}`;
  // Replicas starting together may each create one; each prints its own, all are valid keys of team default.
  await store.createKey({
    id,
    teamId: 'default',
    name: 'first-run key',
    prefix: displayPrefix(secret),
    hash: hashKey(secret),
    createdAt: now,
    budgets: [],
  });
  logger.info({ team: 'default' }, 'created a first-run gateway key for team default (shown once on stdout)');
  return { createdKey: secret, createdKeyId: id };
}
