// Default, model-free recognition of person names, locations, organisations and street addresses (lexicons + context
// rules). Lower priority than every pattern recognizer except phone: a card number inside an address wins, but an
// address's house number and postcode must not be cut out of it by the loose phone patterns.
import { PII_CATEGORIES, type PiiCategory, type PiiFinding } from '../types.js';
import { findAddresses } from './address.js';
import { findNames, type EntityCategory } from './names.js';

export const ENTITY_CATEGORIES = ['person', 'street_address', 'location', 'organization'] as const satisfies readonly PiiCategory[];

/** The categories found by patterns and checksums (everything but names, places and addresses). */
export const PATTERN_CATEGORIES = PII_CATEGORIES.filter((c) => !(ENTITY_CATEGORIES as readonly string[]).includes(c));

export const ENTITY_PRIORITY: Readonly<Record<(typeof ENTITY_CATEGORIES)[number], number>> = {
  street_address: 55, person: 12, organization: 11, location: 10,
};

export function findEntities(text: string, want: ReadonlySet<PiiCategory>): (PiiFinding & { priority: number })[] {
  const out: (PiiFinding & { priority: number })[] = [];
  const { spans, blocks } = findAddresses(text);
  if (want.has('street_address')) {
    for (const s of spans) out.push({ category: 'street_address', start: s.start, end: s.end, priority: ENTITY_PRIORITY.street_address });
  }
  const names = new Set<EntityCategory>((['person', 'location', 'organization', 'street_address'] as const).filter((c) => want.has(c)));
  if (names.size) {
    for (const e of findNames(text, blocks, names)) out.push({ ...e, priority: ENTITY_PRIORITY[e.category] });
  }
  return out;
}
