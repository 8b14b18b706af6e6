/**
 * Route conditions (`when`): which variant of a route applies to a request, by team, request header, request
 * metadata and estimated prompt size.
 */
import type { RouteCondition } from './route-schema.js';

/** The request facts conditions look at. `promptTokens` is computed only when a condition needs it. */
export interface ConditionInput {
  team: string;
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  metadata?: Readonly<Record<string, unknown>>;
  promptTokens(): number;
}

/** A compiled condition: a pure predicate. */
export type ConditionFn = (input: ConditionInput) => boolean;

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const valueMatches = (actual: unknown, wanted: string[]) => {
  if (actual === undefined || actual === null) return false;
  const values = Array.isArray(actual) ? actual.map(String) : [String(actual)];
  return wanted.some((w) => w === '*' || values.includes(w));
};

export function compileCondition(c: RouteCondition | undefined): ConditionFn {
  if (!c) return () => true;
  const teams = c.teams ? new Set(c.teams) : undefined;
  // Node lower-cases incoming header names; configs may not.
  const headers = Object.entries(c.headers ?? {}).map(([k, v]) => [k.toLowerCase(), asList(v)] as const);
  const metadata = Object.entries(c.metadata ?? {}).map(([k, v]) => [k, asList(v)] as const);
  const { minPromptTokens: min, maxPromptTokens: max } = c;
  return (input) => {
    if (teams && !teams.has(input.team)) return false;
    for (const [k, want] of headers) if (!valueMatches(input.headers?.[k], want)) return false;
    for (const [k, want] of metadata) if (!valueMatches(input.metadata?.[k], want)) return false;
    if (min !== undefined || max !== undefined) {
      const n = input.promptTokens();
      if (min !== undefined && n < min) return false;
      if (max !== undefined && n > max) return false;
    }
    return true;
  };
}
