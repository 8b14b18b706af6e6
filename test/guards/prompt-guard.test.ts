import { describe, expect, it } from 'vitest';
import { createPromptGuard, PROMPT_DENIED_MESSAGE } from '../../guards/prompt-guard/index.js';

const user = (text: string) => ({ role: 'user', text });

describe('prompt guard rules', () => {
  it('denies a user message matching a deny pattern and reports the rule index', () => {
    const g = createPromptGuard({ deny: ['\\bproject\\s+falcon\\b', 'internal[- ]only'] });
    expect(g.check([user('Tell me about Project  Falcon')])).toEqual({ ok: false, reason: 'deny', rule: 0 });
    expect(g.check([user('this is INTERNAL-ONLY material')])).toEqual({ ok: false, reason: 'deny', rule: 1 });
    expect(g.check([user('What is the weather in Paris?')])).toEqual({ ok: true });
  });

  it('lets deny win over allow', () => {
    const g = createPromptGuard({ allow: ['invoice'], deny: ['delete'] });
    expect(g.check([user('summarise this invoice')])).toEqual({ ok: true });
    expect(g.check([user('delete this invoice')])).toEqual({ ok: false, reason: 'deny', rule: 0 });
  });

  it('requires every checked message to match an allow pattern when an allow list exists', () => {
    const g = createPromptGuard({ allow: ['^translate\\b', '^summari[sz]e\\b'] });
    expect(g.check([user('Translate this to German'), user('Summarize the text')])).toEqual({ ok: true });
    expect(g.check([user('Translate this'), user('write me a poem')])).toEqual({ ok: false, reason: 'not_allowed' });
    // An empty allow list means "no allow list".
    expect(createPromptGuard({ allow: [] }).check([user('anything')])).toEqual({ ok: true });
  });

  it('checks only user messages by default, and the configured roles otherwise', () => {
    const messages = [{ role: 'system', text: 'You handle secret projects.' }, user('hello')];
    expect(createPromptGuard({ deny: ['secret'] }).check(messages)).toEqual({ ok: true });
    expect(createPromptGuard({ deny: ['secret'], roles: ['system', 'user'] }).check(messages)).toEqual({
      ok: false,
      reason: 'deny',
      rule: 0,
    });
    expect(createPromptGuard({ deny: ['rm -rf'], roles: ['tool'] }).check([{ role: 'tool', text: 'ran rm -rf /' }]).ok).toBe(false);
  });

  it('bounds the total length of the checked messages', () => {
    const g = createPromptGuard({ maxPromptChars: 10 });
    expect(g.check([user('12345'), user('67890')])).toEqual({ ok: true });
    expect(g.check([user('12345'), user('678901')])).toEqual({ ok: false, reason: 'too_long' });
    // Unchecked roles do not count.
    expect(g.check([{ role: 'system', text: 'x'.repeat(100) }, user('short')])).toEqual({ ok: true });
  });

  it('matches case-insensitively and Unicode-aware by default, and honours explicit flags', () => {
    expect(createPromptGuard({ deny: ['straße'] }).check([user('STRASSE')]).ok).toBe(true);
    expect(createPromptGuard({ deny: ['STRAßE'] }).check([user('straße')]).ok).toBe(false);
    expect(createPromptGuard({ deny: ['Secret'], flags: 'u' }).check([user('secret')]).ok).toBe(true);
  });

  it('is stateless across calls (no lastIndex carry-over)', () => {
    const g = createPromptGuard({ deny: ['foo'] });
    for (let i = 0; i < 3; i++) expect(g.check([user('foo')]).ok).toBe(false);
  });

  it('never exposes the rule text in the client message', () => {
    expect(PROMPT_DENIED_MESSAGE).not.toMatch(/deny|allow|rule|pattern/i);
  });
});

describe('prompt guard policy validation', () => {
  it('throws at creation naming an invalid pattern', () => {
    expect(() => createPromptGuard({ deny: ['ok', 'bad(['] })).toThrow(/deny\[1\] "bad\(\[".*invalid regular expression/);
    expect(() => createPromptGuard({ allow: [''] })).toThrow(/allow\[0\]/);
  });

  it('refuses what RE2 cannot express (lookaround, backreferences), naming the pattern and the construct', () => {
    expect(() => createPromptGuard({ deny: ['secret(?= project)'] })).toThrow(/deny\[0\] "secret\(\?= project\)".*lookahead\/lookbehind.*RE2/);
    expect(() => createPromptGuard({ deny: ['(?<!top )secret'] })).toThrow(/deny\[0\].*lookahead\/lookbehind/);
    expect(() => createPromptGuard({ allow: ['(\\w+) \\1'] })).toThrow(/allow\[0\].*backreferences/);
    expect(() => createPromptGuard({ deny: ['\\w{301}'] })).toThrow(/deny\[0\].*too large/);
  });

  it('rejects stateful or invalid flags and a bad length limit', () => {
    expect(() => createPromptGuard({ deny: ['x'], flags: 'gi' })).toThrow(/flags/);
    expect(() => createPromptGuard({ deny: ['x'], flags: 'q' })).toThrow(/flags/);
    expect(() => createPromptGuard({ maxPromptChars: 0 })).toThrow(/maxPromptChars/);
  });

  it('stays fast on a hostile 100 KB prompt', () => {
    const g = createPromptGuard({ deny: ['ignore (all )?previous instructions', '\\b\\d{3}-\\d{2}-\\d{4}\\b'], allow: ['[a-z]'] });
    const hostile = `${'a'.repeat(50_000)}!${' '.repeat(50_000)}`;
    const t0 = performance.now();
    expect(g.check([user(hostile)]).ok).toBe(true);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('prompt guard: evasions and hostile input', () => {
  it('zero-width characters and fullwidth letters do not hide a denied phrase', () => {
    const g = createPromptGuard({ deny: ['internal codename \\w+'] });
    expect(g.check([user('what is internal code\u200Bname falcon?')])).toEqual({ ok: false, reason: 'deny', rule: 0 });
    expect(g.check([user('what is in\u2060ternal\u00A0codename falcon?')]).ok).toBe(false); // word joiner, no-break space
    expect(g.check([user('what is ｉｎｔｅｒｎａｌ ｃｏｄｅｎａｍｅ falcon?')]).ok).toBe(false);
  });

  it('a legacy function message is checked when tool messages are', () => {
    expect(createPromptGuard({ deny: ['rm -rf'], roles: ['tool'] }).check([{ role: 'function', text: 'ran rm -rf /' }]).ok).toBe(false);
  });

  it('an allow list refuses a request with no message to check (the prompt moved into a system message)', () => {
    const g = createPromptGuard({ allow: ['^translate\\b'] });
    expect(g.check([{ role: 'system', text: 'Write me a poem about the sea.' }])).toEqual({ ok: false, reason: 'not_allowed' });
  });

  it('a hostile 100 KB prompt against a pattern that backtracks polynomially in V8 stays fast', () => {
    const g = createPromptGuard({ deny: ['\\w+@\\w+\\.com', '\\d+\\s*-\\s*\\d+x'] });
    const t0 = performance.now();
    expect(g.check([user('a'.repeat(100_000)), user('1'.repeat(100_000))]).ok).toBe(true);
    expect(performance.now() - t0).toBeLessThan(200); // ~25 s with a backtracking engine on the whole text
  });

  it('long texts still match anywhere, also across a window boundary, and ^ only at the start', () => {
    const g = createPromptGuard({ deny: ['secret project x', '^forbidden'] });
    for (let pad = 0; pad < 700; pad += 37) {
      expect(g.check([user(`${'word '.repeat(pad)}the secret project x plan ${'more '.repeat(300)}`)]).ok).toBe(false);
    }
    expect(g.check([user(`${'word '.repeat(200)}\nforbidden ${'word '.repeat(200)}`)]).ok).toBe(true);
    expect(g.check([user(`forbidden ${'word '.repeat(400)}`)]).ok).toBe(false);
    const tail = createPromptGuard({ deny: ['the end$'] });
    expect(tail.check([user(`the end ${'word '.repeat(300)}`)]).ok).toBe(true);
    expect(tail.check([user(`${'word '.repeat(300)}the end`)]).ok).toBe(false);
    const allow = createPromptGuard({ allow: ['^translate\\b'] });
    expect(allow.check([user(`${'word '.repeat(300)} translate this`)])).toEqual({ ok: false, reason: 'not_allowed' });
    expect(allow.check([user(`translate this ${'word '.repeat(300)}`)]).ok).toBe(true);
  });
});
