import type { PiiAction, PiiCategory, PiiPolicy } from './types.js';

/** The action a policy assigns to a category. */
export function actionFor(policy: PiiPolicy, category: PiiCategory): PiiAction {
  return policy.actions?.[category] ?? policy.defaultAction;
}

/** Escapes a value for insertion inside a JSON string literal (tool-call arguments are JSON text). */
export function jsonStringEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
