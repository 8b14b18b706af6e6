// Credentials: vendor API keys with recognisable prefixes, JWTs, PEM private keys, and passwords in key=value
// or "my password is …" context.
import { contextWords, hasContext, KW, type Recognizer } from '../recognizer.js';

export const awsAccessKey: Recognizer = {
  category: 'aws_access_key',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  token: { first: 'upper', lengths: [20], test: (t, s) => t.charCodeAt(s) === 65 },
};

const AWS_SECRET_CONTEXT = contextWords(['aws', 'secret', 'secret access key', 'secret_access_key', 'secretaccesskey', 'aws_secret']);

export const awsSecretKey: Recognizer = {
  category: 'aws_secret_key',
  priority: 85,
  // `=` may precede (AWS_SECRET_ACCESS_KEY=…, the env-file form); base64 never has it before its end.
  pattern: /(?<![A-Za-z0-9\/+])[A-Za-z0-9\/+]{40}(?![A-Za-z0-9\/+=])/g,
  prefilter: (_t, f) => (f.keywords() & KW.AWS_SECRET) !== 0,
  accept(m, text) {
    const s = m[0];
    // Real secrets are random base64: both cases and a digit or symbol. Hex digests (one case) are not secrets.
    if (!/[A-Z]/.test(s) || !/[a-z]/.test(s) || !/[0-9\/+]/.test(s)) return false;
    return hasContext(text, m.index, m.index + 40, AWS_SECRET_CONTEXT, 64, 0);
  },
};

export const githubToken: Recognizer = {
  category: 'github_token',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g,
  literals: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
};

export const slackToken: Recognizer = {
  category: 'slack_token',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9\-])(?:xox[abposre]-[0-9A-Za-z\-]{10,250}|xapp-[0-9A-Za-z\-]{10,250}|https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9\/_\-]{20,200})(?![A-Za-z0-9\-])/g,
  literals: ['xox', 'xapp-', 'hooks.slack.com'],
};

export const stripeKey: Recognizer = {
  category: 'stripe_key',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,247}|whsec_[0-9A-Za-z]{20,100})(?![A-Za-z0-9_])/g,
  literals: ['_live_', '_test_', 'whsec_'],
};

export const googleApiKey: Recognizer = {
  category: 'google_api_key',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])/g,
  literals: ['AIza'],
};

export const anthropicKey: Recognizer = {
  category: 'anthropic_key',
  priority: 96,
  pattern: /\b(?<![A-Za-z0-9_\-])sk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_\-]{20,250}(?![A-Za-z0-9_\-])/g,
  literals: ['sk-ant-'],
};

export const openaiKey: Recognizer = {
  category: 'openai_key',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9_\-])sk-(?!ant-)[A-Za-z0-9_\-]{20,250}(?![A-Za-z0-9_\-])/g,
  literals: ['sk-'],
  // Keys are random: insist on mixed case and digits so hyphenated words ("sk-learn-…") are not keys.
  accept: (m) => /[A-Z]/.test(m[0]) && /[a-z]/.test(m[0].slice(3)) && /\d/.test(m[0]),
};

function base64UrlJson(s: string): unknown {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export const jwt: Recognizer = {
  category: 'jwt',
  priority: 95,
  pattern: /\b(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{4,4096}\.eyJ[A-Za-z0-9_\-]{2,16384}\.[A-Za-z0-9_\-]{0,4096}(?![A-Za-z0-9_\-])/g,
  literals: ['eyJ'],
  accept(m) {
    const header = base64UrlJson(m[0].slice(0, m[0].indexOf('.')));
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header);
  },
};

export const privateKey: Recognizer = {
  category: 'private_key',
  priority: 100,
  // A complete block up to its END line, or (while streaming / when truncated) the BEGIN line and the base64 lines
  // that follow it.
  pattern:
    /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?:\r?\n[A-Za-z0-9+\/=]{1,100})*)/g,
  literals: ['-----BEGIN'],
};

const PASSWORD_STOPWORDS = new Set([
  'required', 'optional', 'true', 'false', 'null', 'none', 'nil', 'undefined', 'empty', 'blank', 'incorrect', 'wrong',
  'invalid', 'correct', 'changed', 'reset', 'expired', 'hidden', 'redacted', 'masked', 'secret', 'password', 'string',
  'str', 'your_password', 'yourpassword', 'example', 'changeme', 'placeholder', 'env', 'text', 'input', 'value',
]);
const PASSWORD_PLACEHOLDER = /^(?:[*x•.#]+|<[^>]*>?|\$\{?[A-Za-z_][\w]*\}?|\{\{.*|%[sd]|\[[A-Z_]+(?:_\d+)?\]|process\.env.*|os\.environ.*)$/i;

export const password: Recognizer = {
  category: 'password',
  priority: 88,
  pattern:
    /\b(?<![A-Za-z0-9_])(?:(?:[A-Za-z0-9]{1,32}_){1,4}(?:password|passwd|passphrase|passcode|pwd)|pgpassword|password|passwd|passphrase|passcode|pass|pwd|pw|passwort|kennwort|contraseña|senha|mot de passe)\\?["']?\s{0,3}(:=|=>|[:=]|\bis\b|\bwas\b|\bes\b|\bist\b|\best\b)\s{0,3}\\?["']?([^\s"'`,;\\]{3,128})/gi,
  prefilter: (_t, f) => (f.keywords() & KW.PASSWORD) !== 0,
  accept(m) {
    let value = m[2];
    // Sentence punctuation after "my password is Hunter2." is not part of the password.
    value = value.replace(/[.)\]}]+$/, '');
    if (value.length < 3) return false;
    if (PASSWORD_STOPWORDS.has(value.toLowerCase()) || PASSWORD_PLACEHOLDER.test(value)) return false;
    // Prose ("the password is required", "password was too short") rarely has a digit, capital or symbol.
    if (/^[a-z]/i.test(m[1]) && /^[a-z]+$/.test(value)) return false;
    const end = m.index + m[0].length - (m[2].length - value.length);
    return { start: end - value.length, end };
  },
};
