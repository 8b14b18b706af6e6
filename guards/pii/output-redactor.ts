import type { PiiAction, PiiDetector, PiiFinding, PiiPolicy, StreamTransform } from './types.js';
import { actionFor } from './actions.js';
import { maskValue, redactionMarker } from './placeholders.js';

/** Tunables for the output redactor; the defaults are what docs/guards.md documents. */
export interface OutputRedactorOptions {
  /**
   * Most characters held back in the normal case (default 256): longer than any bounded structured value
   * (spaced IBAN ≤ 42, phone ≤ 25, card ≤ 23, credentials in a URL ≤ 193) plus its trailing context.
   */
  holdBack?: number;
  /**
   * Hard cap while an unbounded secret (PEM block, JWT) is still streaming in (default 8192): such a value is held
   * whole so it can be redacted whole; past the cap the text is released (and whatever was detected is redacted).
   */
  maxEntity?: number;
}

const CONTEXT_CHARS = 64;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

const MONTH_WORD = /^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?$/i;

/** Could `word` be an inner part of a space-separated value (digit groups, IBAN groups, "12 March 1990")? */
function joinsSpacedValue(word: string): boolean {
  return /\d/.test(word) || /^[A-Z0-9]{1,4}$/.test(word) || /^[+(]/.test(word) || MONTH_WORD.test(word) || word.includes('-----');
}

/**
 * Start of the tail that must be held because it could still be (part of) a value: the last word (it may grow),
 * plus the words before it while they look like groups of a spaced value. Prose ends the tail quickly, so the
 * usual hold-back is one word.
 */
export function tailStart(s: string): number {
  let j = s.length;
  while (j > 0 && !isSpace(s.charCodeAt(j - 1))) j--;
  while (j > 1) {
    const sep = s.charCodeAt(j - 1);
    if (!(sep === 32 || sep === 9) || isSpace(s.charCodeAt(j - 2))) break;
    let w = j - 1;
    while (w > 0 && !isSpace(s.charCodeAt(w - 1))) w--;
    if (!joinsSpacedValue(s.slice(w, j - 1))) break;
    j = w;
  }
  // An unfinished PEM armor line ("-----BEGIN RSA PRIV") is the start of a key that is not recognisable yet.
  const armor = s.lastIndexOf('-----');
  if (armor >= 0 && armor < j) {
    const lineStart = s.lastIndexOf('\n', armor) + 1;
    const line = s.slice(lineStart);
    if (line.startsWith('-----') && !/^-----[A-Z0-9 ]+-----/.test(line)) j = lineStart;
  }
  return j;
}

function render(text: string, from: number, to: number, findings: PiiFinding[], policy: PiiPolicy): string {
  const keep = policy.maskKeep ?? 4;
  let out = '';
  let last = from;
  for (const f of findings) {
    if (f.start < from || f.end > to) continue;
    const action: PiiAction = actionFor(policy, f.category);
    if (action === 'allow') continue;
    // Nothing can be restored or rejected mid-answer: pseudonymise and block degrade to redaction.
    const rep = action === 'mask' ? maskValue(text.slice(f.start, f.end), keep) : redactionMarker(f.category);
    out += text.slice(last, f.start) + rep;
    last = f.end;
  }
  return out + text.slice(last, to);
}

/**
 * Redacts PII the model itself writes, on a stream. Lifetime: one streamed channel. Holds back the last word (and
 * preceding groups of a spaced value), never more than `holdBack` characters, except while an unbounded secret is
 * in progress (≤ `maxEntity`). Chain it before the pseudonym restorer so restored originals are not re-redacted.
 */
export function createOutputRedactor(
  detector: PiiDetector,
  policy: PiiPolicy,
  opts: OutputRedactorOptions = {},
): StreamTransform {
  const holdBack = opts.holdBack ?? 256;
  const maxEntity = opts.maxEntity ?? 8192;
  let ctx = ''; // already emitted raw text, kept for context words and lookbehinds
  let pending = '';
  let done = false;

  function emit(cut: number, findings: PiiFinding[], text: string): string {
    const base = ctx.length;
    const out = render(text, base, base + cut, findings, policy);
    let nextCtx = text.slice(Math.max(0, base + cut - CONTEXT_CHARS), base + cut);
    // Start the context at a word boundary so a cut-off token cannot look like a value of its own.
    const ws = nextCtx.search(/\s/);
    nextCtx = ws > 0 && nextCtx.length === CONTEXT_CHARS ? nextCtx.slice(ws) : nextCtx;
    ctx = nextCtx;
    pending = pending.slice(cut);
    return out;
  }

  return {
    push(fragment: string): string {
      if (done) throw new Error('output redactor already flushed');
      pending += fragment;
      let cut = Math.max(tailStart(pending), pending.length - holdBack);
      if (cut <= 0) return '';
      const text = ctx + pending;
      const findings = detector.detect(text);
      const base = ctx.length;
      for (const f of findings) {
        if (f.start < base) continue;
        // A value running across the cut is held whole, and so is a PEM block whose END line has not arrived
        // (both bounded by maxEntity).
        const open =
          (f.start - base < cut && f.end - base > cut) ||
          (f.category === 'private_key' && !text.slice(f.start, f.end).includes('-----END'));
        if (open && f.start - base < cut) cut = Math.max(f.start - base, pending.length - maxEntity);
      }
      if (cut <= 0) return '';
      return emit(cut, findings, text);
    },
    flush(): string {
      done = true;
      if (!pending) return '';
      const text = ctx + pending;
      return emit(pending.length, detector.detect(text), text);
    },
    get pending() {
      return pending.length;
    },
  };
}
