/**
 * Admin API output shapes: stored records → JSON a person can read. Money leaves as exact USD decimal strings
 * (`"12.500000"`) next to the integer micro-dollars; times as ISO 8601. Key hashes never leave the gateway.
 */
import type { ApiKey, Budget, BudgetStatus, Team } from '../state/types.js';
import { microsToUsd } from '../usage/pricing.js';

export const iso = (ms: number | undefined | null): string | null => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

/** Admin input budgets are stored exactly like config budgets. */
export { toBudget as toStoredBudget } from '../bootstrap.js';

export function presentBudget(b: Budget) {
  return {
    period: b.period,
    ...(b.usdMicros !== undefined ? { usd: microsToUsd(b.usdMicros), usdMicros: b.usdMicros } : {}),
    ...(b.tokens !== undefined ? { tokens: b.tokens } : {}),
    ...(b.softThreshold !== undefined ? { softThreshold: b.softThreshold } : {}),
    ...(b.webhookUrl !== undefined ? { webhookUrl: b.webhookUrl } : {}),
  };
}

export function presentTeam(t: Team) {
  return {
    id: t.id,
    name: t.name,
    allowedModels: t.allowedModels,
    budgets: t.budgets.map(presentBudget),
    rateLimits: t.rateLimits ?? null,
    policy: t.policy,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function keyState(k: ApiKey, now = Date.now()): 'active' | 'revoked' | 'expired' | 'revoking' {
  if (k.revokedAt !== undefined) return k.revokedAt <= now ? 'revoked' : 'revoking';
  if (k.expiresAt !== undefined && k.expiresAt <= now) return 'expired';
  return 'active';
}

export function presentKey(k: ApiKey, now = Date.now()) {
  return {
    id: k.id,
    team: k.teamId,
    name: k.name,
    prefix: k.prefix,
    state: keyState(k, now),
    createdAt: iso(k.createdAt),
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    budgets: k.budgets.map(presentBudget),
    rateLimits: k.rateLimits ?? null,
    allowedModels: k.allowedModels ?? null,
    role: k.role ?? 'member',
    // The secret the last rotation replaced, while it still works (its grace period).
    previousSecret: k.previous && k.previous.until > now ? { prefix: k.previous.prefix, validUntil: iso(k.previous.until) } : null,
  };
}

/** One budget status with what remains per kind (null when that kind has no limit). */
export function presentBudgetStatus(s: BudgetStatus) {
  const usdRemaining = s.usdMicros !== undefined ? s.usdMicros - s.spentMicros - s.reservedMicros : null;
  const tokensRemaining = s.tokens !== undefined ? s.tokens - s.spentTokens - s.reservedTokens : null;
  return {
    scope: s.scope,
    period: s.period,
    limitUsd: s.usdMicros !== undefined ? microsToUsd(s.usdMicros) : null,
    spentUsd: microsToUsd(s.spentMicros),
    reservedUsd: microsToUsd(s.reservedMicros),
    remainingUsd: usdRemaining !== null ? microsToUsd(usdRemaining) : null,
    limitTokens: s.tokens ?? null,
    spentTokens: s.spentTokens,
    reservedTokens: s.reservedTokens,
    remainingTokens: tokensRemaining,
    limitMicros: s.usdMicros ?? null,
    spentMicros: s.spentMicros,
    remainingMicros: usdRemaining,
    periodStart: iso(s.periodStart),
    resetsAt: iso(s.resetsAt),
  };
}
