/**
 * Admin- and config-supplied regular expressions, matched by a linear-time engine (re2js, a pure-JS port of RE2).
 *
 * A backtracking engine (V8's RegExp) lets one pattern stall the event loop for every team: `(a|aa)+$` took 4.1 s
 * on 39 characters, and no static "safe regex" check catches every such shape. RE2 explores all alternatives at
 * once, so the time is linear in the text, whatever the pattern. What RE2 cannot express in linear time —
 * backreferences and lookaround — is refused at validation with a message naming the construct.
 *
 * Linear still has a constant: when the DFA gives up on a pattern with many states, the NFA costs about the
 * program size per character. MAX_PROGRAM_SIZE bounds that per pattern (≈ 10–15 ms on 100 KB at worst, measured;
 * ordinary phrase patterns take 1–3 ms), and callers bound the total over a policy (MAX_POLICY_PROGRAM_SIZE).
 */
import { RE2JS } from 're2js';

/** Patterns longer than this are refused: a policy is a short list of phrases, not a program. */
export const MAX_PATTERN_LENGTH = 1000;
/** RE2 instructions per pattern (≈ characters of a literal phrase; a repeat `x{n}` counts n times). */
export const MAX_PROGRAM_SIZE = 300;
/** RE2 instructions over all the patterns of one policy list set (allow + deny). */
export const MAX_POLICY_PROGRAM_SIZE = 3000;

/** A compiled pattern. `test` is stateless (no lastIndex) and linear in the text's length. */
export interface LinearRegex {
  readonly source: string;
  /** RE2 program size, for budgeting a policy's total cost. */
  readonly size: number;
  test(text: string): boolean;
}

/** JS-style flags accepted for familiarity; `u` is implied (RE2 always matches code points). */
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/** Validates flags (`i`, `m`, `s`, `u`); throws naming the flags otherwise (`g`/`y` would make `test` stateful). */
export function linearFlags(flags: string): number {
  let bits = 0;
  for (const f of flags) {
    if (!(f in FLAG_BITS) || flags.indexOf(f) !== flags.lastIndexOf(f)) {
      throw new Error(`invalid flags "${flags}" (allowed: i, m, s, u)`);
    }
    bits |= FLAG_BITS[f]!;
  }
  return bits;
}

/** Constructs V8 accepts but RE2 refuses, said in words a policy author acts on. */
function unsupported(p: string): string | undefined {
  if (/\(\?<?[=!]/.test(p)) return 'lookahead/lookbehind ((?=, (?!, (?<=, (?<!) is not supported: patterns use RE2 syntax';
  if (/\\[1-9]|\\k</.test(p)) return 'backreferences (\\1, \\k<name>) are not supported: patterns use RE2 syntax';
  return undefined;
}

/**
 * Compiles a pattern with RE2 semantics, or throws why it cannot be used (empty, too long, not RE2 syntax, too
 * large). The message names the construct; callers prefix the list, index and pattern.
 */
export function compileLinear(pattern: string, flags = 'iu'): LinearRegex {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new Error('pattern must be a non-empty string');
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  const bits = linearFlags(flags);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, bits);
  } catch (err) {
    // RE2's own words for lookaround are cryptic ("invalid named capture"): name the construct when it is one.
    // re2js: "error parsing regexp: invalid escape sequence: `\u`" — keep its detail, say which syntax applies.
    throw new Error(unsupported(pattern) ?? `invalid regular expression (RE2 syntax: ${(err as Error).message.replace(/^error parsing regexp: /, '')})`);
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    throw new Error(`pattern too large (${size} RE2 instructions, at most ${MAX_PROGRAM_SIZE}): split it or lower its repeat counts`);
  }
  return { source: pattern, size, test: (text) => re.test(text) };
}

/**
 * A glob where `*` matches any run of characters (newlines too) and everything else is literal, matched whole
 * in linear time. A glob translated to a V8 RegExp backtracks polynomially in the number of stars:
 * `*a*a*a*a*a*a*a*a*a*a*a*a*b` took 23 s on a 30-character name. Case-sensitive. Never throws (every glob is a
 * valid pattern once quoted), so callers can compile stored globs on the request path.
 */
export function compileGlob(glob: string): LinearRegex {
  const re = RE2JS.compile(glob.split('*').map((part) => RE2JS.quote(part)).join('.*'), RE2JS.DOTALL);
  return { source: glob, size: re.programSize(), test: (text) => re.testExact(text) };
}
