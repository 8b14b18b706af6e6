/**
 * What the text guards (prompt rules, topics, injection) share: the role a message counts as in a guard's
 * `roles`, and the normalised form of a text they match or embed.
 */

/** The role a message counts as in a guard policy: `function`, the legacy (pre-tools) tool result, is `tool`. */
export function guardRole(role: string): string {
  return role === 'function' ? 'tool' : role;
}

// Zero-width and other format characters (ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen, BOM, bidi controls, tag
// characters) and variation selectors: invisible to a reader and to a model, but they split a denied word
// (`se\u200Bcret`) and tokens.
const INVISIBLE = /[\p{Cf}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;

/** NFKC (fullwidth and other compatibility forms fold to plain letters) without invisible characters. */
export function normaliseGuardText(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '');
}
