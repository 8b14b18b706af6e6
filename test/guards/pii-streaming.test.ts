import { describe, expect, it } from 'vitest';
import { createOutputRedactor, createPiiDetector, createPiiSession, type StreamTransform } from '../../guards/pii/index.js';

const detector = createPiiDetector();

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function streamThrough(t: StreamTransform, chunks: string[], maxPending: { value: number }): string {
  let out = '';
  for (const c of chunks) {
    out += t.push(c);
    maxPending.value = Math.max(maxPending.value, t.pending);
  }
  return out + t.flush();
}

function randomChunks(text: string, rand: () => number, maxLen: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * maxLen);
    chunks.push(text.slice(i, i + n));
    i += n;
  }
  return chunks;
}

describe('streaming restorer', () => {
  const session = createPiiSession(detector, { defaultAction: 'pseudonymise' });
  session.apply(
    'Jane (jane@acme.io, +44 20 7946 0958) and Bob (bob@acme.io) paid with 4111 1111 1111 1111; ' +
      'key AKIAIOSFODNN7EXAMPLE; ' + Array.from({ length: 11 }, (_, i) => `u${i}@x.io`).join(' '),
  );
  const answer =
    'I wrote to [EMAIL_1] and [email_2], then [ PHONE_1 ]. Card [CREDIT_CARD_1] was refunded. ' +
    'Rotate [AWS_ACCESS_KEY_1] now. Unknown [EMAIL_99], a [link](x), brackets [[EMAIL_13]] and [EMAIL_1' +
    '0] joined. Spelt loosely: [EMAIL 2], [credit-card-1], [  PHONE_1  ], [Figure 3]. Trailing [EMAIL_1';
  const expected = session.restore(answer);
  const longest = '[  AWS_ACCESS_KEY_1  ]'.length;

  it('restores the whole answer as the non-streaming path does', () => {
    expect(expected).toContain('jane@acme.io and bob@acme.io, then +44 20 7946 0958. Card 4111 1111 1111 1111');
    expect(expected).toContain('Rotate AKIAIOSFODNN7EXAMPLE');
    expect(expected).toContain('Unknown [EMAIL_99]');
    expect(expected).toContain('brackets [u10@x.io] and u7@x.io joined');
    expect(expected).toContain('Spelt loosely: bob@acme.io, 4111 1111 1111 1111, +44 20 7946 0958, [Figure 3].');
    expect(expected.endsWith('Trailing [EMAIL_1')).toBe(true);
  });

  it('gives identical output for a split at every position', () => {
    for (let k = 0; k <= answer.length; k++) {
      const max = { value: 0 };
      const out = streamThrough(session.createRestorer(), [answer.slice(0, k), answer.slice(k)], max);
      expect(out, `split at ${k}`).toBe(expected);
      expect(max.value).toBeLessThan(longest);
    }
  });

  it('gives identical output for random chunkings, holding back less than one placeholder', () => {
    const rand = rng(42);
    for (let run = 0; run < 300; run++) {
      const max = { value: 0 };
      const out = streamThrough(session.createRestorer(), randomChunks(answer, rand, 1 + (run % 12)), max);
      expect(out).toBe(expected);
      expect(max.value).toBeLessThan(longest);
    }
  });

  it('holds nothing back when the tail cannot start a placeholder', () => {
    const r = session.createRestorer();
    expect(r.push('Hello there, ')).toBe('Hello there, ');
    expect(r.pending).toBe(0);
    expect(r.push('see [')).toBe('see ');
    expect(r.push('note]')).toBe('[note]');
  });

  it('restores JSON tool-call argument fragments with escaping', () => {
    const s = createPiiSession(detector, { defaultAction: 'pseudonymise' });
    s.apply('password="Tr0ub4dor&3" for a@b.io');
    const args = '{"to":"[EMAIL_1]","pw":"[PASSWORD_1]"}';
    const rand = rng(7);
    for (let run = 0; run < 50; run++) {
      const out = streamThrough(s.createRestorer({ json: true }), randomChunks(args, rand, 5), { value: 0 });
      expect(JSON.parse(out)).toEqual({ to: 'a@b.io', pw: 'Tr0ub4dor&3' });
    }
  });

  it('is a pass-through when the session issued no pseudonyms', () => {
    const s = createPiiSession(detector, { defaultAction: 'redact' });
    const r = s.createRestorer();
    expect(r.push('[EMA')).toBe('[EMA');
    expect(r.pending).toBe(0);
  });
});

describe('output redactor', () => {
  const policy = { defaultAction: 'redact' as const, actions: { credit_card: 'mask' as const } };
  const whole = (text: string) => createPiiSession(detector, policy).apply(text).text;
  const samples = [
    'Sure! You can reach Jane at jane.doe@example.com or +1 (415) 555-2671. Her card 4111 1111 1111 1111 ' +
      'and IBAN GB82 WEST 1234 5698 7654 32 are on file; SSN 536-22-1234. Server 203.0.113.42 is fine.',
    'Config:\n```\nDATABASE_URL=postgres://admin:s3cr3t@db.internal:5432/app\npassword=Tr0ub4dor&3\n' +
      'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n```\nShe was born on March 12, 1985. Done.',
    'Nothing sensitive here, just version 2.10.0 and order #1048576 totalling $1,249.99 on 2024-03-15.',
  ];

  it('redacts like the whole-text path for every chunking, holding back at most the bound', () => {
    const rand = rng(1);
    for (const text of samples) {
      const expected = whole(text);
      for (let run = 0; run < 60; run++) {
        const max = { value: 0 };
        const out = streamThrough(createOutputRedactor(detector, policy), randomChunks(text, rand, 1 + (run % 9)), max);
        expect(out).toBe(expected);
        expect(max.value).toBeLessThanOrEqual(256 + 9);
      }
      for (let k = 0; k <= text.length; k += 3) {
        const out = streamThrough(createOutputRedactor(detector, policy), [text.slice(0, k), text.slice(k)], { value: 0 });
        expect(out, `split at ${k}`).toBe(expected);
      }
    }
    expect(whole(samples[0])).toContain('**** **** **** 1111');
    expect(whole(samples[0])).not.toContain('jane.doe@example.com');
  });

  it('emits prose immediately: only the unfinished last word is held', () => {
    const r = createOutputRedactor(detector, policy);
    expect(r.push('Hello')).toBe('');
    expect(r.push(' world, how')).toBe('Hello world, ');
    expect(r.pending).toBe('how'.length);
    expect(r.flush()).toBe('how');
  });

  it('holds a streaming private key whole and redacts it whole', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\n' + 'MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu\n'.repeat(20) + '-----END RSA PRIVATE KEY-----';
    const text = `Here it is:\n${key}\nKeep it safe.`;
    const out = streamThrough(createOutputRedactor(detector, policy), randomChunks(text, rng(3), 7), { value: 0 });
    expect(out).toBe('Here it is:\n[PRIVATE_KEY]\nKeep it safe.');
  });
});
