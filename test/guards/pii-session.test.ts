import { describe, expect, it } from 'vitest';
import { blockedMessage, createPiiDetector, createPiiSession, summariseFindings } from '../../guards/pii/index.js';

const detector = createPiiDetector();

describe('PiiSession.apply', () => {
  it('pseudonymises with typed, numbered placeholders; the same value keeps its number across calls', () => {
    const s = createPiiSession(detector, { defaultAction: 'pseudonymise' });
    const a = s.apply('Mail jane@acme.io and bob@acme.io, call +1 415 555 2671.');
    expect(a.text).toBe('Mail [EMAIL_1] and [EMAIL_2], call [PHONE_1].');
    const b = s.apply('Reply to JANE@acme.io from the tool result.');
    expect(b.text).toBe('Reply to [EMAIL_1] from the tool result.');
    expect(s.placeholderCount).toBe(3);
    expect(a.findings).toEqual([
      { category: 'email', action: 'pseudonymise' },
      { category: 'email', action: 'pseudonymise' },
      { category: 'phone', action: 'pseudonymise' },
    ]);
  });

  it('applies per-category actions: redact, mask (keep last 4), allow, block', () => {
    const s = createPiiSession(detector, {
      defaultAction: 'redact',
      actions: { credit_card: 'mask', ipv4: 'allow', us_ssn: 'block' },
    });
    const r = s.apply('card 4111 1111 1111 1111 from 10.1.2.3, mail a@b.io, SSN 536-22-1234');
    expect(r.text).toBe('card **** **** **** 1111 from 10.1.2.3, mail [EMAIL], SSN [US_SSN]');
    expect(r.blocked).toEqual(['us_ssn']);
    expect(blockedMessage(r.blocked)).not.toContain('536');
    expect(summariseFindings(r.findings)).toEqual({
      total: 4,
      byCategory: { credit_card: 1, ipv4: 1, email: 1, us_ssn: 1 },
      byAction: { mask: 1, allow: 1, redact: 1, block: 1 },
    });
  });

  it('honours maskKeep and never reveals short values', () => {
    const s = createPiiSession(detector, { defaultAction: 'mask', maskKeep: 2 });
    expect(s.apply('IBAN DE89370400440532013000').text).toBe('IBAN ********************00');
    const pw = createPiiSession(detector, { defaultAction: 'mask' }).apply('password=abc1').text;
    expect(pw).toBe('password=**c1');
  });

  it('leaves text without PII untouched and reports nothing', () => {
    const s = createPiiSession(detector, { defaultAction: 'pseudonymise' });
    expect(s.apply('Summarise release 2.10.0 notes.')).toEqual({ text: 'Summarise release 2.10.0 notes.', findings: [], blocked: [] });
  });

  it('merges findings from an asynchronous recognizer (NER) given to apply', () => {
    const s = createPiiSession(detector, { defaultAction: 'pseudonymise' });
    const text = 'Ask Maria Rossi at maria@acme.io';
    const r = s.apply(text, [{ category: 'person', start: 4, end: 15 }]);
    expect(r.text).toBe('Ask [PERSON_1] at [EMAIL_1]');
    expect(s.restore('Hello [PERSON_1] ([EMAIL_1])')).toBe('Hello Maria Rossi (maria@acme.io)');
  });
});

describe('PiiSession.restore', () => {
  const s = createPiiSession(detector, { defaultAction: 'pseudonymise' });
  s.apply('Contact jane@acme.io, password="p@ss\\"w0rd" and +44 20 7946 0958');

  it('restores placeholders the model repeats, including case and spacing variants', () => {
    expect(s.restore('Sure, [EMAIL_1] / [email_1] / [ EMAIL_1 ] and [PHONE_1].')).toBe(
      'Sure, jane@acme.io / jane@acme.io / jane@acme.io and +44 20 7946 0958.',
    );
  });

  it('leaves unknown placeholders and ordinary brackets alone', () => {
    expect(s.restore('[EMAIL_9] [see note] [1]')).toBe('[EMAIL_9] [see note] [1]');
  });

  it('escapes restored values for JSON strings in tool-call arguments', () => {
    const s2 = createPiiSession(detector, { defaultAction: 'pseudonymise' });
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const masked = s2.apply(`deploy with ${pem}`).text;
    expect(masked).toBe('deploy with [PRIVATE_KEY_1]');
    const args = s2.restore('{"key":"[PRIVATE_KEY_1]"}', { json: true });
    expect(JSON.parse(args)).toEqual({ key: pem });
  });
});

describe('a conversation resent turn after turn', () => {
  // A chat client sends the whole history each turn: earlier messages must not be scanned again on every request.
  const history = Array.from({ length: 6 }, (_, i) =>
    `Turn ${i}: the customer jane.doe${i}@example.com wrote about order issues and asked for a callback on +1 415 555 26${10 + i}; ` +
    'the agent promised to check the warehouse system and reply within two working days with a tracking update, ' +
    'and to escalate to the logistics team if the parcel was not found.',
  );

  it('scans each long message once across requests, with the same result and per-request pseudonyms', () => {
    const calls: string[] = [];
    const counting = { ...detector, detect: (t: string) => (calls.push(t), detector.detect(t)) };
    const turn = (n: number) => {
      const s = createPiiSession(counting, { defaultAction: 'pseudonymise' });
      return history.slice(0, n).map((m) => s.apply(m).text);
    };
    const first = turn(5);
    expect(calls).toHaveLength(5);
    const second = turn(6);
    // Only the new message was scanned; the answers are what an uncached scan gives.
    expect(calls).toHaveLength(6);
    expect(second.slice(0, 5)).toEqual(first);
    const fresh = createPiiSession(createPiiDetector(), { defaultAction: 'pseudonymise' });
    expect(second).toEqual(history.map((m) => fresh.apply(m).text));
    expect(second[5]).toBe(
      'Turn 5: the customer [EMAIL_6] wrote about order issues and asked for a callback on [PHONE_6]; the agent promised to check the warehouse system and reply within two working days with a tracking update, ' +
        'and to escalate to the logistics team if the parcel was not found.',
    );
  });
});
