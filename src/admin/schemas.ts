/**
 * Input shapes of the admin API (zod). The same schemas validate requests and generate the OpenAPI document,
 * so the two never drift. Money is given in USD (decimal string or number) and stored as micro-dollars.
 */
import { z } from 'zod';
import { teamPolicySchema } from '../config/policy.js';
import { parseUsdToMicros } from '../usage/pricing.js';

export const ID = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, `_`, `.`, `-`');
/** USD as a decimal; refused (400) when it is finer than a micro-dollar or too large to count exactly. */
const decimal = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'a decimal number')])
  .refine(isExactUsd, 'a USD amount with at most 6 decimals and below 9 billion');
/** The largest time a JavaScript Date holds: later ones cannot be shown (toISOString throws) and would 500. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const isoOrMs = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative().max(MAX_TIME_MS)]);

export const budgetInput = z
  .object({
    period: z.enum(['daily', 'weekly', 'monthly', 'lifetime']),
    usd: decimal.optional().describe('Hard limit in USD for the period'),
    tokens: z.number().int().positive().optional().describe('Hard limit in tokens (prompt + completion)'),
    softThreshold: z.number().gt(0).lt(1).optional().describe('Fraction of a limit that triggers one notification'),
    webhookUrl: z.url().optional(),
  })
  .strict()
  .refine((b) => b.usd !== undefined || b.tokens !== undefined, 'a budget needs `usd` or `tokens`');

export const rateLimitsInput = z
  .object({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() })
  .strict();

/**
 * Guard and cache policy of a team: the same schema the pipeline resolves policies with (`src/config/policy.ts`),
 * so the admin API cannot store a policy the gateway would ignore. `guards` and `cache` sections are checked
 * field by field; other top-level fields are kept as they are (for extensions).
 */
export const policyInput = teamPolicySchema;

export const teamCreate = z
  .object({
    id: ID,
    name: z.string().min(1).max(200).optional(),
    allowedModels: z.array(z.string().min(1)).default(['*']).describe("Model names; '*' = all, 'provider/*' = a provider"),
    budgets: z.array(budgetInput).default([]),
    rateLimits: rateLimitsInput.optional(),
    policy: policyInput.default({}),
  })
  .strict();

export const teamPatch = z
  .object({
    name: z.string().min(1).max(200).optional(),
    allowedModels: z.array(z.string().min(1)).optional(),
    budgets: z.array(budgetInput).optional(),
    rateLimits: rateLimitsInput.nullable().optional().describe('null removes the limits'),
    policy: policyInput.optional(),
  })
  .strict();

export const keyCreate = z
  .object({
    team: ID,
    id: ID.optional().describe('Default: a random id'),
    name: z.string().min(1).max(200).optional(),
    expiresAt: isoOrMs.optional().describe('ISO 8601 or epoch ms'),
    budgets: z.array(budgetInput).default([]),
    rateLimits: rateLimitsInput.optional(),
    allowedModels: z.array(z.string().min(1)).optional().describe("Narrows the team's list"),
    role: z.enum(['member', 'team_admin']).optional().describe('team_admin: may also manage its own team through the admin API'),
  })
  .strict();

export const keyPatch = z
  .object({
    name: z.string().min(1).max(200).optional(),
    expiresAt: isoOrMs.nullable().optional().describe('null removes the expiry'),
    budgets: z.array(budgetInput).optional(),
    rateLimits: rateLimitsInput.nullable().optional(),
    allowedModels: z.array(z.string().min(1)).nullable().optional(),
    role: z.enum(['member', 'team_admin']).optional(),
  })
  .strict();

export const keyRotate = z
  .object({
    graceSeconds: z.number().int().min(0).max(30 * 86400).default(0).describe('The old secret keeps working this long'),
  })
  .strict();

export const usageQueryInput = z
  .object({
    from: isoOrMsString().describe('Inclusive start (ISO 8601 or epoch ms); default 7 days ago'),
    to: isoOrMsString().describe('Exclusive end; default now'),
    granularity: z.enum(['hour', 'day']).default('day'),
    team: ID.optional(),
    key: ID.optional(),
    model: z.string().max(200).optional(),
    provider: z.string().max(100).optional(),
    api: z.enum(['chat', 'responses', 'messages', 'embeddings', 'mcp', 'guard']).optional(),
    user: z.string().max(256).optional().describe("the end user the client named ('' for none)"),
    tag: z.string().max(128).optional().describe("the value of the request's metadata[state.usageTag] ('' for none)"),
    groupBy: z
      .string()
      .regex(/^((team|key|model|provider|api|user|tag)(,(team|key|model|provider|api|user|tag))*)?$/, 'comma-separated: team, key, model, provider, api, user, tag')
      .optional()
      .describe('e.g. team,model'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export const keyListQuery = z.object({ team: ID.optional(), includeRevoked: z.enum(['true', 'false']).optional() }).strict();

/** A query-string time: ISO 8601 or epoch ms digits; optional. */
function isoOrMsString() {
  return z
    .string()
    .refine((s) => Math.abs(parseTime(s)) <= MAX_TIME_MS, 'an ISO 8601 time or epoch milliseconds')
    .optional();
}

/**
 * ISO 8601 or epoch ms → epoch ms. A date-time without a zone is read as UTC (times here are UTC; `Date.parse`
 * would read it in the server's local zone).
 */
export const parseTime = (s: string | number): number => {
  if (typeof s === 'number') return s;
  if (/^\d+$/.test(s)) return Number(s);
  return Date.parse(/T[\d:.]+$/.test(s) ? `${s}Z` : s);
};

function isExactUsd(v: string | number): boolean {
  try {
    parseUsdToMicros(v);
    return true;
  } catch {
    return false;
  }
}
