/**
 * Stop sequences the gateway enforces itself. Anthropic refuses stop sequences that are only whitespace
 * ("each stop sequence must contain non-whitespace"), yet `stop: ["\n"]` is a common OpenAI idiom (one line,
 * one answer). Those sequences are not sent upstream; the answer's text is cut at the first one instead, as
 * OpenAI would have stopped there: the text before it is kept, the sequence and everything after are dropped.
 * Tool calls are not text and are kept.
 */

/** The stop sequences of an OpenAI `stop` value, split into what Anthropic takes and what the gateway applies. */
export function splitStops(stop: unknown): { upstream: string[]; local: string[] } {
  const all = (Array.isArray(stop) ? stop : typeof stop === 'string' ? [stop] : []).filter(
    (s): s is string => typeof s === 'string' && s !== '',
  );
  return { upstream: all.filter((s) => s.trim() !== ''), local: all.filter((s) => s.trim() === '') };
}

/** Index of the earliest stop sequence in `text`, -1 when none occurs. Pure. */
function firstStop(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/** Whole text cut at the first stop sequence. Pure. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  const at = stops.length ? firstStop(text, stops) : -1;
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}

/**
 * Streamed text cut at the first stop sequence. Holds back a tail that could be the start of a sequence split
 * across deltas (at most the longest sequence's length − 1 characters, whitespace only), releasing it with the
 * next delta or `flush()`. After a match every further text is swallowed. One per stream and choice.
 */
export interface TextStopper {
  /** The part of `text` that may be shown now. */
  push(text: string): string;
  /** Held-back text, at the end of the answer ('' once stopped). */
  flush(): string;
  readonly stopped: boolean;
}

export function createTextStopper(stops: readonly string[]): TextStopper {
  const longest = Math.max(0, ...stops.map((s) => s.length));
  let held = '';
  let stopped = false;
  return {
    get stopped() {
      return stopped;
    },
    push(text) {
      if (stopped) return '';
      const buf = held + text;
      const at = firstStop(buf, stops);
      if (at >= 0) {
        stopped = true;
        held = '';
        return buf.slice(0, at);
      }
      let keep = 0;
      for (let k = Math.min(longest - 1, buf.length); k > 0; k--) {
        const tail = buf.slice(buf.length - k);
        if (stops.some((s) => s.startsWith(tail))) {
          keep = k;
          break;
        }
      }
      held = buf.slice(buf.length - keep);
      return buf.slice(0, buf.length - keep);
    },
    flush() {
      const rest = stopped ? '' : held;
      held = '';
      return rest;
    },
  };
}
