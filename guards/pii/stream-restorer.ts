import { PSEUDONYM_PATTERN, pseudonymKey } from './placeholders.js';
import { jsonStringEscape } from './actions.js';
import type { StreamTransform } from './types.js';

/** What a restorer needs from its session: key → original lookup and the issued keys (for the hold-back test). */
export interface PseudonymTable {
  lookup(key: string): string | undefined;
  /** Issued keys such as `EMAIL_1`; read on each push, so pseudonyms issued later are honoured. */
  keys(): Iterable<string>;
  /** Length of the longest issued key. */
  readonly longestKey: number;
}

/** Options for restoring: `json` escapes restored values for insertion inside a JSON string (tool-call arguments). */
export interface RestoreOptions {
  json?: boolean;
}

/** Replaces every issued pseudonym in `text` with its original; unknown ones are left as written. */
export function restoreText(text: string, table: PseudonymTable, opts: RestoreOptions = {}): string {
  if (table.longestKey === 0 || !text.includes('[')) return text;
  return text.replace(PSEUDONYM_PATTERN, (whole, inner: string) => {
    const original = table.lookup(pseudonymKey(inner));
    if (original === undefined) return whole;
    return opts.json ? jsonStringEscape(original) : original;
  });
}

/**
 * Longest text a pseudonym can occupy as written by a model: `[`, up to two spaces, key, up to two spaces, `]`
 * (see PSEUDONYM_PATTERN). The restorer never holds back more than this minus one character.
 */
export function maxPseudonymLength(table: PseudonymTable): number {
  return table.longestKey === 0 ? 0 : table.longestKey + 6;
}

/** Index from which `buf` must be held back because its tail may still become an issued pseudonym. */
function holdIndex(buf: string, table: PseudonymTable): number {
  const max = maxPseudonymLength(table);
  if (max === 0) return buf.length;
  const open = buf.lastIndexOf('[');
  if (open < 0 || buf.length - open >= max) return buf.length;
  const tail = buf.slice(open + 1);
  if (tail.includes(']')) return buf.length;
  const m = /^ {0,2}([A-Za-z0-9 _-]*)$/.exec(tail);
  if (!m) return buf.length;
  // `[EMAIL ` may still become `[EMAIL 1]` (a prefix of a key, its separator read as `_`), and `[EMAIL_1 ` may
  // still get its `]` (a whole key followed by spaces).
  const partial = m[1].toUpperCase().replace(/[ -]/g, '_');
  const whole = pseudonymKey(m[1]);
  for (const key of table.keys()) {
    if (key.startsWith(partial) || key === whole) return open;
  }
  return buf.length;
}

/**
 * Streaming restorer for one channel. Holds back only a tail that could still become an issued pseudonym (at most
 * `maxPseudonymLength - 1` characters), so output equals `restoreText` of the concatenated input for any chunking.
 */
export function createStreamRestorer(table: PseudonymTable, opts: RestoreOptions = {}): StreamTransform {
  let buf = '';
  let done = false;
  return {
    push(fragment: string): string {
      if (done) throw new Error('restorer already flushed');
      buf += fragment;
      const cut = holdIndex(buf, table);
      const ready = buf.slice(0, cut);
      buf = buf.slice(cut);
      return restoreText(ready, table, opts);
    },
    flush(): string {
      done = true;
      const rest = buf;
      buf = '';
      return restoreText(rest, table, opts);
    },
    get pending() {
      return buf.length;
    },
  };
}
