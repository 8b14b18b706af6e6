// One scan for the literals the secret recognizers need (Recognizer.literals): which of them occur in a text, found by
// one alternation instead of a dozen `includes` calls (and as many calls through the recognizers' prefilters).
import type { Recognizer } from './recognizer.js';

export interface LiteralScanner {
  /** Per recognizer (same index): the bits of its literals, 0 when it declares none. */
  readonly masks: Int32Array;
  /** The bits of the literals that occur in `text`. */
  scan(text: string): number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export function createLiteralScanner(recognizers: readonly Recognizer[]): LiteralScanner {
  const literals = [...new Set(recognizers.flatMap((r) => r.literals ?? []))];
  if (literals.length > 31) throw new Error('more than 31 distinct recognizer literals');
  const bit = new Map(literals.map((l, i) => [l, 1 << i]));
  const masks = Int32Array.from(recognizers, (r) => (r.literals ?? []).reduce((m, l) => m | bit.get(l)!, 0));
  // A literal found also shows every literal inside it ("sk-ant-" holds "sk-"): the alternation reports one per start.
  const implied = new Map(literals.map((l) => [l, literals.reduce((m, o) => (l.includes(o) ? m | bit.get(o)! : m), 0)]));
  // Longest first, so that at one start the alternation takes the literal that implies the most.
  const re = literals.length ? new RegExp([...literals].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g') : null;
  const all = (2 ** literals.length - 1) | 0;
  return {
    masks,
    scan(text) {
      if (!re) return 0;
      let found = 0;
      re.lastIndex = 0;
      // From the next position after each match (not its end): a literal may start inside another's occurrence.
      for (let m = re.exec(text); m && found !== all; m = re.exec(text)) {
        found |= implied.get(m[0])!;
        re.lastIndex = m.index + 1;
      }
      return found;
    },
  };
}
