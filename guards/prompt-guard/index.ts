/**
 * Prompt guard: the organisation's allow/deny regex policy and a maximum prompt length.
 *
 * Rules: deny wins; when an allow list exists, every checked message must match at least one allow pattern, and
 * a request with no checked message is not allowed; only messages whose role is in `roles` (default `['user']`;
 * legacy `function` messages count as `tool`) are checked; `maxPromptChars` bounds the total length of the
 * checked messages. Texts are matched after NFKC normalisation with invisible characters removed. Patterns use
 * RE2 syntax and are matched by a linear-time engine (guards/linear-regex.ts), so no pattern an admin can set
 * makes a hostile prompt stall the event loop; they are compiled once at creation and rejected there when
 * invalid, not expressible in RE2 (backreferences, lookaround) or too large.
 *
 * The result carries the rule index for the audit log only; the client-facing 400 `prompt_denied` message
 * must stay generic (see PROMPT_DENIED_MESSAGE) so rules cannot be probed.
 */
import { compileLinear, linearFlags, MAX_POLICY_PROGRAM_SIZE, type LinearRegex } from '../linear-regex.js';
import { guardRole, normaliseGuardText } from '../guard-text.js';

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
  /** Flags for every pattern (default 'iu'): `i`, `m`, `s`, `u` (implied). Others, `g` and `y` included, are refused. */
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

/**
 * Compiles one pattern as the guard does with the default flags, or throws why it cannot be used (empty, too
 * long, not RE2 syntax, too large). Config and admin-API validation call it, so a policy the guard would refuse
 * is refused when it is set, not on every request after.
 */
export function compilePattern(p: string, flags = 'iu'): LinearRegex {
  return compileLinear(p, flags);
}

function compile(kind: 'allow' | 'deny', patterns: string[] | undefined, flags: string): LinearRegex[] {
  return (patterns ?? []).map((p, i) => {
    try {
      return compilePattern(p, flags);
    } catch (err) {
      throw new Error(`prompt guard: ${kind}[${i}] ${JSON.stringify(p)}: ${(err as Error).message}`);
    }
  });
}

/** Bounds the matching cost of a whole policy: each checked message is matched against every pattern. */
export function checkPolicySize(...lists: { size: number }[][]): void {
  const total = lists.flat().reduce((n, r) => n + r.size, 0);
  if (total > MAX_POLICY_PROGRAM_SIZE) {
    throw new Error(`prompt guard: allow + deny patterns total ${total} RE2 instructions, at most ${MAX_POLICY_PROGRAM_SIZE}: merge or drop some`);
  }
}

/** Compiles a policy. Throws an Error naming the offending pattern (list and index) or option. */
export function createPromptGuard(policy: PromptGuardPolicy): PromptGuard {
  const flags = policy.flags ?? 'iu';
  try {
    linearFlags(flags);
  } catch (err) {
    throw new Error(`prompt guard: ${(err as Error).message}`);
  }
  const max = policy.maxPromptChars;
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
    throw new Error(`prompt guard: maxPromptChars must be a positive integer, got ${String(max)}`);
  }
  const deny = compile('deny', policy.deny, flags);
  // The policy-wide size bound (checkPolicySize) is applied where a policy is set, not here: an effective policy
  // merges the gateway's allow list with a team's deny list, each valid on its own, and must not fail a request.
  const allow = compile('allow', policy.allow, flags);
  const roles = new Set<string>(policy.roles ?? ['user']);

  return {
    check(messages) {
      let total = 0;
      const checked: string[] = [];
      for (const m of messages) {
        if (!roles.has(guardRole(m.role))) continue;
        const text = typeof m.text === 'string' ? m.text : '';
        total += text.length;
        checked.push(text);
      }
      // Length first: it is O(1) per message and bounds the regex work below.
      if (max !== undefined && total > max) return { ok: false, reason: 'too_long' };
      if (deny.length === 0 && allow.length === 0) return { ok: true };
      for (let i = 0; i < checked.length; i++) checked[i] = normaliseGuardText(checked[i]!);
      for (const text of checked) {
        for (let r = 0; r < deny.length; r++) if (deny[r]!.test(text)) return { ok: false, reason: 'deny', rule: r };
      }
      if (allow.length > 0) {
        // An allow list admits only what matches it: a request with no message to check (say, the prompt moved
        // into a system message) is not allowed either.
        if (checked.length === 0) return { ok: false, reason: 'not_allowed' };
        for (const text of checked) {
          if (!allow.some((re) => re.test(text))) return { ok: false, reason: 'not_allowed' };
        }
      }
      return { ok: true };
    },
  };
}
