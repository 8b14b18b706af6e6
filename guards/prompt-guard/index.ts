/**
 * Prompt guard: the organisation's allow/deny regex policy and a maximum prompt length.
 *
 * Rules: deny wins; when an allow list exists, every checked message must match at least one allow pattern;
 * only messages whose role is in `roles` (default `['user']`) are checked; `maxPromptChars` bounds the total
 * length of the checked messages. Patterns are compiled once at creation and rejected there when invalid or
 * prone to catastrophic backtracking, so `check` can never hang on a hostile prompt.
 *
 * The result carries the rule index for the audit log only; the client-facing 400 `prompt_denied` message
 * must stay generic (see PROMPT_DENIED_MESSAGE) so rules cannot be probed.
 */
import safeRegex from 'safe-regex2';

export type PromptRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** Policy of one team or key. Plain data (from config). */
export interface PromptGuardPolicy {
  /** When present and non-empty, each checked message must match one of these patterns. */
  allow?: string[];
  /** A checked message matching any of these patterns is denied (deny wins over allow). */
  deny?: string[];
  /** Roles whose messages are checked; default ['user']. */
  roles?: PromptRole[];
  /** Maximum total characters over the checked messages. */
  maxPromptChars?: number;
  /** RegExp flags for every pattern (default 'iu'). `g` and `y` are refused (they make `test` stateful). */
  flags?: string;
}

/** Why a prompt was refused, with the index of the rule for audit logs (never shown to the client). */
export type PromptGuardResult =
  | { ok: true }
  | { ok: false; reason: 'deny' | 'not_allowed' | 'too_long'; rule?: number };

/**
 * A compiled policy. Immutable, synchronous and pure: `check` never throws, never awaits, and its cost is
 * linear in the prompt length times the number of patterns.
 */
export interface PromptGuard {
  check(messages: { role: string; text: string }[]): PromptGuardResult;
}

/** The only message a client sees for a refused prompt (the integrator's 400 `prompt_denied`). */
export const PROMPT_DENIED_MESSAGE = 'The request was rejected by the prompt policy.';

/** Patterns longer than this are refused: a policy is a short list of phrases, not a program. */
const MAX_PATTERN_LENGTH = 1000;

/**
 * Compiles one pattern as the guard does with the default flags, or throws why it cannot be used (empty, too
 * long, invalid, prone to catastrophic backtracking). Config and admin-API validation call it, so a policy the
 * guard would refuse is refused when it is set, not on every request after.
 */
export function compilePattern(p: string, flags = 'iu'): RegExp {
  if (typeof p !== 'string' || p.length === 0) throw new Error('pattern must be a non-empty string');
  if (p.length > MAX_PATTERN_LENGTH) throw new Error(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  let re: RegExp;
  try {
    re = new RegExp(p, flags);
  } catch (err) {
    throw new Error(`invalid regular expression (${(err as Error).message})`);
  }
  // safe-regex2 flags nested/ambiguous quantifiers (star height > 1) that can backtrack exponentially.
  if (!safeRegex(re)) throw new Error('unsafe pattern (nested quantifiers can backtrack catastrophically)');
  return re;
}

function compile(kind: 'allow' | 'deny', patterns: string[] | undefined, flags: string): RegExp[] {
  return (patterns ?? []).map((p, i) => {
    try {
      return compilePattern(p, flags);
    } catch (err) {
      throw new Error(`prompt guard: ${kind}[${i}] ${JSON.stringify(p)}: ${(err as Error).message}`);
    }
  });
}

/** Compiles a policy. Throws an Error naming the offending pattern (list and index) or option. */
export function createPromptGuard(policy: PromptGuardPolicy): PromptGuard {
  const flags = policy.flags ?? 'iu';
  if (/[gy]/.test(flags)) throw new Error(`prompt guard: flags "${flags}" must not contain g or y`);
  try {
    new RegExp('', flags);
  } catch {
    throw new Error(`prompt guard: invalid flags "${flags}"`);
  }
  const max = policy.maxPromptChars;
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    throw new Error(`prompt guard: maxPromptChars must be a positive integer, got ${String(max)}`);
  }
  const deny = compile('deny', policy.deny, flags);
  const allow = compile('allow', policy.allow, flags);
  const roles = new Set<string>(policy.roles ?? ['user']);

  return {
    check(messages) {
      let total = 0;
      const checked: string[] = [];
      for (const m of messages) {
        if (!roles.has(m.role)) continue;
        const text = typeof m.text === 'string' ? m.text : '';
        total += text.length;
        checked.push(text);
      }
      // Length first: it is O(1) per message and bounds the regex work below.
      if (max !== undefined && total > max) return { ok: false, reason: 'too_long' };
      for (const text of checked) {
        for (let r = 0; r < deny.length; r++) if (deny[r].test(text)) return { ok: false, reason: 'deny', rule: r };
      }
      if (allow.length > 0) {
        for (const text of checked) {
          if (!allow.some((re) => re.test(text))) return { ok: false, reason: 'not_allowed' };
        }
      }
      return { ok: true };
    },
  };
}
