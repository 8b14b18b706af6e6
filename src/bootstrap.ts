/**
 * Applies the config's teams and keys to the StateStore at start. Decision: for ids the config declares, the
 * config wins at every start (it is the declarative source); teams and keys created through the admin API
 * and not named in the config are never touched. Prints a first-run key for team `default` when it has none.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BudgetConfig, GatewayConfig } from './config/schema.js';
import type { Budget, StateStore } from './state/state-store.js';
import { displayPrefix, generateKey, hashKey } from './auth/keys.js';
import { parseUsdToMicros } from './usage/pricing.js';

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
  for (const k of config.keys) {
    const secret = k.key;
    const hash = k.sha256 ?? (secret ? hashKey(secret) : undefined);
    if (!hash) continue; // `${GATEWAY_API_KEY:-}` unset: no key from config
    const record = {
      name: k.name ?? k.id,
      budgets: k.budgets.map(toBudget),
      rateLimits: k.rateLimits,
      expiresAt: k.expiresAt ? Date.parse(k.expiresAt) : undefined,
    };
    const existing = await store.getKeyByHash(hash);
    if (existing) {
      await store.updateKey(existing.id, record);
      continue;
    }
    const previous = await store.getKey(k.id);
    if (previous?.hash === hash) {
      // A replica starting beside this one created it between our two reads: it is this very key, keep it.
      await store.updateKey(previous.id, record);
      continue;
    }
    // The secret changed: revoke the key that had this id and store the new one under an id derived from it.
    if (previous) await store.revokeKey(k.id, now);
    const id = previous ? `${k.id}.${hash.slice(0, 8)}` : k.id;
    try {
      await store.createKey({ id, teamId: k.team, prefix: secret ? displayPrefix(secret) : 'gw-…', hash, createdAt: now, ...record });
    } catch (err) {
      // Replicas starting together on one Redis race to create the same key: the loser finds the winner's.
      const created = await store.getKeyByHash(hash);
      if (!created) throw err;
      await store.updateKey(created.id, record);
    }
  }
  return ensureDefaultKey(config, store, logger, now);
}

async function ensureDefaultKey(config: GatewayConfig, store: StateStore, logger: Logger, now: number): Promise<BootstrapResult> {
  if (!config.teams.default) return {};
  const keys = await store.listKeys('default');
  if (keys.some((k) => k.revokedAt === undefined)) return {};
  const secret = generateKey();
  // Replicas starting together may each create one; each prints its own, all are valid keys of team default.
  await store.createKey({
    id: `default-${now.toString(36)}-${randomUUID().slice(0, 6)}`,
    teamId: 'default',
    name: 'first-run key',
    prefix: displayPrefix(secret),
    hash: hashKey(secret),
    createdAt: now,
    budgets: [],
  });
  logger.info({ team: 'default' }, 'created a first-run gateway key for team default (shown once on stdout)');
  return { createdKey: secret };
}
