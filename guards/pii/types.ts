/**
 * Every category the PII guard can report. Structured ones come from pattern recognizers; `person`,
 * `street_address`, `location` and `organization` from the lexicon-and-context recognizers (`entities/`) and, when a
 * model is configured, the optional NER recognizer.
 */
export const PII_CATEGORIES = [
  'email', 'phone', 'credit_card', 'iban', 'swift_bic',
  'us_ssn', 'us_itin', 'us_bank_routing', 'us_passport', 'us_driver_license',
  'uk_nino', 'uk_nhs', 'ca_sin', 'in_aadhaar', 'in_pan', 'br_cpf', 'br_cnpj', 'es_dni', 'es_nie', 'it_fiscal_code',
  'ipv4', 'ipv6', 'mac_address', 'url_credentials', 'btc_address', 'eth_address',
  'aws_access_key', 'aws_secret_key', 'github_token', 'slack_token', 'stripe_key', 'google_api_key',
  'openai_key', 'anthropic_key', 'jwt', 'private_key', 'password', 'date_of_birth',
  'person', 'street_address', 'location', 'organization',
] as const;

export type PiiCategory = (typeof PII_CATEGORIES)[number];

/** What to do with a finding: `redact` → `[EMAIL]`, `mask` → keep last N chars, `pseudonymise` → reversible `[EMAIL_1]`, `block` → reject the request, `allow` → leave it. */
export type PiiAction = 'redact' | 'mask' | 'pseudonymise' | 'block' | 'allow';

/** One detected value: a half-open UTF-16 range `[start, end)` of the scanned text. Carries no value, so it is safe to log. */
export interface PiiFinding {
  category: PiiCategory;
  start: number;
  end: number;
}

/**
 * Finds PII in a text. Contract: synchronous, pure (no state kept between calls, safe to share across requests),
 * never throws on any string input; findings are sorted by `start` and never overlap.
 */
export interface PiiDetector {
  detect(text: string): PiiFinding[];
  /** The categories this detector looks for. */
  readonly categories: readonly PiiCategory[];
}

/**
 * Per-team policy. `actions` overrides `defaultAction` per category; `maskKeep` is how many trailing
 * alphanumeric characters `mask` keeps (default 4).
 */
export interface PiiPolicy {
  defaultAction: PiiAction;
  actions?: Partial<Record<PiiCategory, PiiAction>>;
  maskKeep?: number;
}

/**
 * Incremental text transform for one streamed channel. `push` returns the text that is now safe to emit (possibly
 * empty); `flush` returns whatever is still held back and must be called once at the end of the stream. Not
 * reusable after `flush`. Concatenating every output equals transforming the whole text at once.
 */
export interface StreamTransform {
  push(fragment: string): string;
  flush(): string;
  /** Characters currently held back (for tests and metrics). */
  readonly pending: number;
}
