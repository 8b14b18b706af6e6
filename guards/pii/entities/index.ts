// Default, model-free recognition of person names, locations, organisations and street addresses (lexicons + context
// rules). Lower priority than every pattern recognizer except phone: a card number inside an address wins, but an
// address's house number and postcode must not be cut out of it by the loose phone patterns.
import { PII_CATEGORIES, type PiiCategory, type PiiFinding } from '../types.js';
import { findAddresses } from './address.js';
import { findNames } from './names.js';

export const ENTITY_CATEGORIES = ['person', 'street_address', 'location', 'organization'] as const satisfies readonly PiiCategory[];

/** The categories found by patterns and checksums (everything but names, places and addresses). */
export const PATTERN_CATEGORIES = PII_CATEGORIES.filter((c) => !(ENTITY_CATEGORIES as readonly string[]).includes(c));

export const ENTITY_PRIORITY: Readonly<Record<(typeof ENTITY_CATEGORIES)[number], number>> = {
  street_address: 55, person: 12, organization: 11, location: 10,
};

/** A finding with what overlap resolution needs: its priority and its recognizer's order (see detector.ts). */
export interface RankedFinding extends PiiFinding {
  priority: number;
  order: number;
}

/** Appends the entity findings of `text` in the wanted categories to `out` (one object shape for every finding). */
export function findEntities(text: string, want: ReadonlySet<PiiCategory>, order: number, out: RankedFinding[]): void {
  const { spans, blocks } = findAddresses(text);
  if (want.has('street_address')) {
    for (const s of spans) out.push({ category: 'street_address', start: s.start, end: s.end, priority: ENTITY_PRIORITY.street_address, order });
  }
  if (!want.has('person') && !want.has('location') && !want.has('organization') && !want.has('street_address')) return;
  for (const e of findNames(text, blocks, want)) out.push({ category: e.category, start: e.start, end: e.end, priority: ENTITY_PRIORITY[e.category], order });
}
