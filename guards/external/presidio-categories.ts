/**
 * Presidio entity types → the PII guard's categories, for `action: pii` (the team's PII actions then redact,
 * mask, pseudonymise or block Presidio's spans like the guard's own findings). Types without a category here
 * (DATE_TIME, NRP, URL, MEDICAL_LICENSE, AU_*, custom recognizers…) have no PII action to apply: with `action:
 * pii` they are audited but left in place — list them in the service's `entities` only with `action: block`.
 */
import type { PiiCategory } from '../pii/index.js';

const MAP: Readonly<Record<string, PiiCategory>> = {
  PERSON: 'person',
  LOCATION: 'location',
  ORGANIZATION: 'organization',
  EMAIL_ADDRESS: 'email',
  PHONE_NUMBER: 'phone',
  CREDIT_CARD: 'credit_card',
  IBAN_CODE: 'iban',
  CRYPTO: 'btc_address',
  US_SSN: 'us_ssn',
  US_ITIN: 'us_itin',
  US_PASSPORT: 'us_passport',
  US_DRIVER_LICENSE: 'us_driver_license',
  UK_NHS: 'uk_nhs',
  UK_NINO: 'uk_nino',
  IN_AADHAAR: 'in_aadhaar',
  IN_PAN: 'in_pan',
  ES_NIF: 'es_dni',
  ES_NIE: 'es_nie',
  IT_FISCAL_CODE: 'it_fiscal_code',
};

/** The PII category of a Presidio entity type at a span (IP_ADDRESS is ipv4 or ipv6 by its text), if any. */
export function presidioCategory(entityType: string, value: string): PiiCategory | undefined {
  if (entityType === 'IP_ADDRESS') return value.includes(':') ? 'ipv6' : 'ipv4';
  return MAP[entityType];
}
