import type { PiiCategory } from './types.js';

/** Upper-case names used inside placeholders: `[EMAIL]`, `[EMAIL_3]`. Short, typed and readable by the model. */
export const PLACEHOLDER_NAMES: Readonly<Record<PiiCategory, string>> = {
  email: 'EMAIL', phone: 'PHONE', credit_card: 'CREDIT_CARD', iban: 'IBAN', swift_bic: 'SWIFT_BIC',
  us_ssn: 'US_SSN', us_itin: 'US_ITIN', us_bank_routing: 'ROUTING_NUMBER', us_passport: 'PASSPORT',
  us_driver_license: 'DRIVER_LICENSE', uk_nino: 'UK_NINO', uk_nhs: 'NHS_NUMBER', ca_sin: 'CA_SIN',
  in_aadhaar: 'AADHAAR', in_pan: 'IN_PAN', br_cpf: 'CPF', br_cnpj: 'CNPJ', es_dni: 'ES_DNI', es_nie: 'ES_NIE',
  it_fiscal_code: 'IT_FISCAL_CODE', ipv4: 'IP_ADDRESS', ipv6: 'IPV6_ADDRESS', mac_address: 'MAC_ADDRESS',
  url_credentials: 'URL_CREDENTIALS', btc_address: 'BTC_ADDRESS', eth_address: 'ETH_ADDRESS',
  aws_access_key: 'AWS_ACCESS_KEY', aws_secret_key: 'AWS_SECRET_KEY', github_token: 'GITHUB_TOKEN',
  slack_token: 'SLACK_TOKEN', stripe_key: 'STRIPE_KEY', google_api_key: 'GOOGLE_API_KEY', openai_key: 'OPENAI_KEY',
  anthropic_key: 'ANTHROPIC_KEY', jwt: 'JWT', private_key: 'PRIVATE_KEY', password: 'PASSWORD',
  date_of_birth: 'DATE_OF_BIRTH', person: 'PERSON', street_address: 'ADDRESS', location: 'LOCATION', organization: 'ORGANIZATION',
};

/** `[EMAIL]`: irreversible redaction marker. */
export function redactionMarker(category: PiiCategory): string {
  return `[${PLACEHOLDER_NAMES[category]}]`;
}

/** `[EMAIL_3]`: reversible, numbered per category within one session. */
export function pseudonym(category: PiiCategory, n: number): string {
  return `[${PLACEHOLDER_NAMES[category]}_${n}]`;
}

/**
 * Matches a pseudonym as a model may echo it: exact, in another case, with up to two spaces inside the brackets
 * (`[ email_1 ]`), or with spaces or hyphens for its underscores (`[EMAIL 1]`, `[credit-card-2]`). Group 1 is
 * the name and number, normalised by `pseudonymKey` to look it up; unknown ones are left as written.
 */
export const PSEUDONYM_PATTERN = /\[ {0,2}([A-Za-z][A-Za-z0-9]*(?:[ _-][A-Za-z0-9]+){0,5}[ _-]\d+) {0,2}\]/g;

/** Normalises what a model wrote inside the brackets (`email 1`, ` Email-1 `) to the session key (`EMAIL_1`). */
export function pseudonymKey(inner: string): string {
  return inner.trim().toUpperCase().replace(/[ -]/g, '_');
}

/**
 * Masks all but the last `keep` alphanumeric characters with `*`, keeping separators so the shape stays readable
 * (`**** **** **** 4242`). Values shorter than 2×keep keep proportionally less, so short values never survive.
 */
export function maskValue(value: string, keep: number): string {
  let alnum = 0;
  for (const ch of value) if (/[A-Za-z0-9]/.test(ch)) alnum++;
  const kept = Math.min(keep, Math.floor(alnum / 2));
  let seen = 0;
  let out = '';
  for (const ch of value) {
    if (/[A-Za-z0-9]/.test(ch)) {
      seen++;
      out += seen > alnum - kept ? ch : '*';
    } else out += ch;
  }
  return out;
}
