import type { PiiAction, PiiCategory } from './types.js';

/** Counts per category and action, for the audit log line and metrics. Contains no values. */
export interface PiiAuditSummary {
  total: number;
  byCategory: Partial<Record<PiiCategory, number>>;
  byAction: Partial<Record<PiiAction, number>>;
}

/** Summarises applied findings (from one or many `apply` calls) for logging without matched values. */
export function summariseFindings(findings: readonly { category: PiiCategory; action: PiiAction }[]): PiiAuditSummary {
  const byCategory: Partial<Record<PiiCategory, number>> = {};
  const byAction: Partial<Record<PiiAction, number>> = {};
  for (const f of findings) {
    byCategory[f.category] = (byCategory[f.category] ?? 0) + 1;
    byAction[f.action] = (byAction[f.action] ?? 0) + 1;
  }
  return { total: findings.length, byCategory, byAction };
}

/** Message for the 400 `pii_detected` error: names categories, never values. */
export function blockedMessage(categories: readonly PiiCategory[]): string {
  return `Request blocked: it contains personal or secret data (${[...categories].sort().join(', ')}).`;
}
