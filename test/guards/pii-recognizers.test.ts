import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPiiDetector, PATTERN_CATEGORIES, PII_CATEGORIES, type PiiCategory } from '../../guards/pii/index.js';

// The structured (pattern) recognizers: names, places and addresses have their own corpus and eval
// (test/guards/pii-entities.test.ts).
const detector = createPiiDetector({ categories: PATTERN_CATEGORIES });

function found(text: string): { category: PiiCategory; value: string }[] {
  return detector.detect(text).map((f) => ({ category: f.category, value: text.slice(f.start, f.end) }));
}

// [category, text, exact value the detector must report]
const POSITIVES: [PiiCategory, string, string][] = [
  ['email', 'write to Jane.Doe+news@mail.example.co.uk today', 'Jane.Doe+news@mail.example.co.uk'],
  ['phone', 'call +1 (415) 555-2671 now', '+1 (415) 555-2671'],
  ['phone', 'office +44 20 7946 0958', '+44 20 7946 0958'],
  ['phone', 'my mobile: 0612 345 678', '0612 345 678'],
  ['phone', 'Jane, +14155552671, paid', '+14155552671'],
  ['credit_card', 'card 4111 1111 1111 1111 exp 12/27', '4111 1111 1111 1111'],
  ['credit_card', 'amex 378282246310005.', '378282246310005'],
  ['credit_card', 'pay with 5555-5555-5555-4444', '5555-5555-5555-4444'],
  ['iban', 'IBAN GB82 WEST 1234 5698 7654 32 please', 'GB82 WEST 1234 5698 7654 32'],
  ['iban', 'to de89370400440532013000', 'de89370400440532013000'],
  ['swift_bic', 'SWIFT code DEUTDEFF500 for the wire', 'DEUTDEFF500'],
  ['us_ssn', 'SSN 536-22-1234', '536-22-1234'],
  ['us_ssn', 'social security number 536221234', '536221234'],
  ['us_itin', 'ITIN 912-70-1234', '912-70-1234'],
  ['us_bank_routing', 'routing number 021000021', '021000021'],
  ['us_passport', 'passport no. 340020013', '340020013'],
  ['us_driver_license', "driver's license D1234567", 'D1234567'],
  ['uk_nino', 'NI number AB 12 34 56 C', 'AB 12 34 56 C'],
  ['uk_nhs', 'NHS number 943 476 5919', '943 476 5919'],
  ['ca_sin', 'SIN: 046 454 286', '046 454 286'],
  ['in_aadhaar', 'Aadhaar 4973 5628 1010', '4973 5628 1010'],
  ['in_pan', 'PAN ABCPE1234F', 'ABCPE1234F'],
  ['br_cpf', 'CPF 529.982.247-25', '529.982.247-25'],
  ['br_cnpj', 'CNPJ 11.222.333/0001-81', '11.222.333/0001-81'],
  ['es_dni', 'DNI 12345678Z', '12345678Z'],
  ['es_nie', 'NIE X1234567L', 'X1234567L'],
  ['it_fiscal_code', 'codice fiscale RSSMRA85T10A562S', 'RSSMRA85T10A562S'],
  ['ipv4', 'from 203.0.113.42:443', '203.0.113.42'],
  ['ipv6', 'host 2001:db8::8a2e:370:7334 up', '2001:db8::8a2e:370:7334'],
  ['mac_address', 'mac 00:1A:2B:3C:4D:5E', '00:1A:2B:3C:4D:5E'],
  ['url_credentials', 'DSN postgres://admin:s3cr3t@db.internal:5432/app', 'admin:s3cr3t'],
  ['url_credentials', 'REDIS_URL=redis://:S3cr3tPw9@cache:6379/0', ':S3cr3tPw9'],
  ['btc_address', 'send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'],
  ['btc_address', 'p2sh 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'],
  ['btc_address', 'segwit bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'],
  ['btc_address', 'taproot bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297', 'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297'],
  ['eth_address', 'eth 0x52908400098527886E0F7030069857D2E4169EE7', '0x52908400098527886E0F7030069857D2E4169EE7'],
  ['eth_address', 'eth 0xde709f2102306220921060314715629080e2fb77', '0xde709f2102306220921060314715629080e2fb77'],
  ['aws_access_key', 'key AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
  ['aws_secret_key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ['aws_secret_key', 'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ['github_token', 'token ghp_16C7e42F292c6912E7710c838347Ae178B4a end', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
  ['slack_token', 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy', 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'],
  ['stripe_key', 'STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
  ['google_api_key', 'key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe', 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe'],
  ['openai_key', 'OPENAI_API_KEY=sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z', 'sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z'],
  ['anthropic_key', 'x-api-key: sk-ant-api03-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z-AA', 'sk-ant-api03-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z-AA'],
  ['jwt', 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'],
  ['private_key', 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu\n-----END RSA PRIVATE KEY-----\nthanks', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu\n-----END RSA PRIVATE KEY-----'],
  ['password', 'login with password=Tr0ub4dor&3 please', 'Tr0ub4dor&3'],
  ['password', '{"user":"bob","password": "hunter2"}', 'hunter2'],
  ['password', 'my password is Hunter22.', 'Hunter22'],
  ['password', 'DB_PASSWORD=Sup3rS3cret9', 'Sup3rS3cret9'],
  ['password', 'MYSQL_ROOT_PASSWORD: Sup3rS3cret9', 'Sup3rS3cret9'],
  ['password', '{"db_password": "Sup3rS3cret9"}', 'Sup3rS3cret9'],
  ['password', 'PGPASSWORD=Sup3rS3cret9 psql -h db', 'Sup3rS3cret9'],
  ['date_of_birth', 'date of birth: 1985-03-12', '1985-03-12'],
  ['date_of_birth', 'she was born on March 12, 1985 in Rome', 'March 12, 1985'],
];

describe('PII recognizers', () => {
  it('cover at least 30 categories', () => {
    expect(PII_CATEGORIES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(POSITIVES.map(([c]) => c)).size).toBeGreaterThanOrEqual(36);
  });

  it.each(POSITIVES)('%s: finds the value in %j', (category, text, value) => {
    expect(found(text)).toContainEqual({ category, value });
  });

  it.each([
    ['card failing Luhn', 'card 4111 1111 1111 1112'],
    ['IBAN failing mod-97', 'IBAN GB82 WEST 1234 5698 7654 33'],
    ['IBAN with wrong length', 'IBAN GB82 WEST 1234 5698 7654'],
    ['SSN area 000', 'SSN 000-12-3456'],
    ['SSN area 666', 'SSN 666-12-3456'],
    ['SSN area 9xx', 'SSN 923-12-3456'],
    ['SSN group 00', 'SSN 536-00-1234'],
    ['SSN serial 0000', 'SSN 536-22-0000'],
    ['routing number failing ABA', 'routing number 021000022'],
    ['routing number without context', 'id 021000021'],
    ['NHS failing mod 11', 'NHS number 9434765918'],
    ['SIN failing Luhn', 'SIN: 046 454 287'],
    ['Aadhaar failing Verhoeff', 'Aadhaar 4973 5628 1011'],
    ['CPF bad check digits', 'CPF 529.982.247-26'],
    ['CNPJ bad check digits', 'CNPJ 11.222.333/0001-82'],
    ['DNI wrong letter', 'DNI 12345678A'],
    ['NIE wrong letter', 'NIE X1234567A'],
    ['codice fiscale wrong check', 'codice fiscale RSSMRA85T10A562T'],
    ['BTC bad checksum', 'send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3'],
    ['ETH mixed case failing EIP-55', 'eth 0x52908400098527886e0F7030069857D2E4169EE7'],
    ['passport without context', 'ref 340020013'],
    ['AWS secret without context', 'value wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['date without birth context', 'the meeting is on 1985-03-12'],
    ['password prose', 'the password is required and must be long'],
    ['password template', 'password=${DB_PASSWORD}'],
    ['a compiler pass, not a password', 'FIRST_PASS: done, bypass = true'],
    ['JWT with non-JSON header', 'eyJnotjson.eyJzdWIiOiIxIn0.sig'],
  ])('rejects %s', (_name, text) => {
    expect(found(text)).toEqual([]);
  });

  it('returns sorted, non-overlapping findings and prefers the validated value', () => {
    const text = 'Card 4111111111111111, SSN 536-22-1234, mail a@b.io, call +1 415 555 2671.';
    const f = detector.detect(text);
    for (let i = 1; i < f.length; i++) expect(f[i].start).toBeGreaterThanOrEqual(f[i - 1].end);
    expect(f.map((x) => x.category)).toEqual(['credit_card', 'us_ssn', 'email', 'phone']);
  });

  it('restricts to the configured categories', () => {
    const only = createPiiDetector({ categories: ['email'] });
    expect(only.detect('a@b.io 4111111111111111').map((f) => f.category)).toEqual(['email']);
  });

  it('finds nothing in the negative corpus (ids, versions, hashes, prices, ISBNs, timestamps)', () => {
    const lines = readFileSync(new URL('./fixtures/pii-negative.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(80);
    const hits = lines.flatMap((l) => found(l).map((f) => `${f.category}: ${f.value} <= ${l}`));
    expect(hits).toEqual([]);
    // Also as one document, so context words from neighbouring lines cannot sneak in a finding.
    expect(found(lines.join('\n'))).toEqual([]);
  });

  it('stays linear on adversarial input (no catastrophic backtracking)', () => {
    const inputs = ['a'.repeat(50_000) + '@', '1 '.repeat(25_000), '1-'.repeat(25_000) + 'x', ':'.repeat(30_000) + 'a', 'password='.repeat(5000)];
    for (const s of inputs) {
      const t0 = performance.now();
      detector.detect(s);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});
