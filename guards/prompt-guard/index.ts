/**
 * Prompt guard: the organisation's allow/deny regex policy and a maximum prompt length.
 *
 * Rules: deny wins; when an allow list exists, every checked message must match at least one allow pattern, and
 * a request with no checked message is not allowed; only messages whose role is in `roles` (default `['user']`;
 * legacy `function` messages count as `tool`) are checked; `maxPromptChars` bounds the total length of the
 * checked messages. Texts are matched after NFKC normalisation with invisible characters removed. Patterns are
 * compiled once at creation and rejected there when invalid or prone to catastrophic backtracking; long texts
 * are matched in overlapping windows, so a hostile prompt cannot make a polynomial pattern take seconds.
 *
 * The result carries the rule index for the audit log only; the client-facing 400 `prompt_denied` message
 * must stay generic (see PROMPT_DENIED_MESSAGE) so rules cannot be probed.
 */
import safeRegex from 'safe-regex2';
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
 * A message longer than this is matched in windows of this many characters, overlapping by half, so a match of
 * up to REGEX_WINDOW_STEP characters is always found. A pattern safe-regex2 accepts can still backtrack
 * polynomially (`\w+@\w+\.com` on 100 KB of letters: ~12 s on the whole text); in windows the cost is linear in
 * the message length (~1 ms per KB and pattern at worst).
 */
export const REGEX_WINDOW = 512;
export const REGEX_WINDOW_STEP = 256;
const WINDOW_CONTEXT = 32;


/** A compiled pattern: `test` bounds backtracking by matching long texts in windows (see REGEX_WINDOW). */
interface Matcher {
  test(text: string): boolean;
}

function matcher(re: RegExp): Matcher {
  // An end anchor would match at every window's end: such patterns see the whole text.
  const endAnchored = /(^|[^\\])\$/.test(re.source);
  const scan = new RegExp(re.source, `${re.flags}g`);
  return {
    test(text) {
      if (text.length <= REGEX_WINDOW || endAnchored) return re.test(text);
      for (let s = 0; ; s += REGEX_WINDOW_STEP) {
        // Context on each side keeps \b and short lookarounds right; the search starts after the left context,
        // so ^ (start of the text) can only match in the first window.
        const from = Math.max(0, s - WINDOW_CONTEXT);
        scan.lastIndex = s - from;
        if (scan.test(text.slice(from, s + REGEX_WINDOW + WINDOW_CONTEXT))) return true;
        if (s + REGEX_WINDOW >= text.length) return false;
      }
    },
  };
}

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

function compile(kind: 'allow' | 'deny', patterns: string[] | undefined, flags: string): Matcher[] {
  return (patterns ?? []).map((p, i) => {
    try {
      return matcher(compilePattern(p, flags));
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
