// What English says around an organisation's name: its last words (legal forms and sector words), the words that
// head a name with "of" ("University of …"), and the cues before and after a name that only a company, school or
// other organisation takes (employment, ownership, a company's things). Read by names.ts; general English, no names.

/** Legal forms and sector words that end a company's name ("… Inc", "… Group", "… Technologies"). */
export const ORG_SUFFIX = new Set([
  'inc', 'incorporated', 'ltd', 'limited', 'llc', 'llp', 'lp', 'gmbh', 'ag', 'kg', 'corp', 'corporation', 'company',
  'co', 'plc', 'sa', 'sas', 'sarl', 'srl', 'spa', 'bv', 'nv', 'oy', 'ab', 'as', 'asa', 'pty', 'bank', 'group',
  'holdings', 'technologies', 'technology', 'systems', 'software', 'solutions', 'labs', 'laboratories', 'records',
  'orchestra', 'university', 'college', 'institute', 'foundation', 'association', 'society', 'agency', 'partners',
  'capital', 'ventures', 'media', 'airlines', 'airways', 'motors', 'pharmaceuticals', 'insurance', 'consulting',
  'enterprises', 'industries', 'international', 'networks', 'communications', 'analytics', 'health', 'press',
  'associates', 'bros', 'brothers', 'sons', 'trust', 'hospital', 'clinic', 'academy', 'consultants', 'consultancy',
  'studios', 'productions', 'entertainment', 'pictures', 'publishing', 'publishers', 'logistics', 'energy', 'pharma',
  'therapeutics', 'biosciences', 'biotech', 'robotics', 'hotels', 'resorts', 'brands', 'foods', 'realty',
  'properties', 'construction', 'manufacturing', 'electronics', 'bancorp', 'financial', 'securities', 'investments',
  'advisors', 'advisers', 'railways', 'insights', 'ratings', 'advisory', 'outfitters', 'innovations', 'collective',
  'cooperative', 'alliance', 'federation', 'mutual', 'assurance', 'freight', 'automotive', 'aerospace', 'diagnostics',
  'pharmacy', 'fund',
  // More legal forms (written with or without full stops: "L.L.C.", "S.p.A.", "Pvt Ltd") and sector words that a
  // heading seldom ends with.
  'l.l.c', 'pllc', 'pvt', 'ltda', 'oyj', 'aps', 'kft', 'zrt', 'sro', 'bhd', 'berhad', 'tbk', 'kk', 'ulc',
  'bancshares', 'bankshares', 'telecom', 'telecommunications', 'semiconductor', 'semiconductors', 'microsystems',
  'biologics', 'biopharma', 'petroleum', 'chemicals', 'brewing', 'brewery', 'distillery', 'winery', 'cosmetics',
  'apparel', 'textiles', 'broadcasting', 'airline', 'trucking',
  'telecoms', 'traders', 'trading',
]);

/**
 * Also a company's last word, but common in headings and ordinary phrases too ("Human Resources", "Market Research",
 * "Birthday Party"): only after a word that is no ordinary word ("Forrester Research", "Halvorsen Savings").
 */
export const ORG_SUFFIX_WEAK = new Set([
  'research', 'resources', 'finance', 'insight', 'data', 'digital', 'marketing', 'design', 'security', 'medical',
  'care', 'logistics', 'services', 'service', 'global', 'worldwide', 'works', 'tech', 'mobile', 'network', 'cloud',
  'platforms', 'products', 'supply', 'supplies', 'equipment', 'tools', 'instruments', 'devices', 'materials',
  'metals', 'steel', 'oil', 'gas', 'power', 'electric', 'solar', 'farms', 'dairy', 'bakery', 'furniture', 'homes',
  'builders', 'travel', 'tours', 'transport', 'transportation', 'express', 'cargo', 'council', 'committee',
  'commission', 'authority', 'ministry', 'party', 'school', 'museum', 'library', 'church',
  'dental', 'law', 'legal', 'news', 'herald', 'tribune', 'gazette', 'magazine', 'markets', 'stores', 'store',
  'games', 'gaming', 'computing', 'informatics', 'wellness', 'fitness', 'pharmaceutical',
  'dynamics', 'healthcare', 'wireless', 'interactive', 'savings', 'credit', 'lending', 'payments', 'fintech',
  'mining', 'minerals', 'utilities', 'shipping', 'outsourcing', 'staffing', 'recruiting', 'recruitment',
  // What an organisation's name stands before ("the Xyloq Orchestra", "the Xyloq Gallery"): ensembles, venues, media.
  'choir', 'ensemble', 'quartet', 'philharmonic', 'symphony', 'theatre', 'theater', 'gallery', 'radio', 'television', 'newspaper',
]);

/** Words that head an organisation's name with "of" after them: "University of Oslo", "Bank of Montreal". */
export const ORG_HEAD = new Set([
  'university', 'bank', 'college', 'institute', 'academy', 'school', 'museum', 'ministry', 'department', 'society',
  'association', 'federation', 'council', 'church', 'commission', 'conservatory', 'hospital', 'office', 'bureau',
  'library', 'agency', 'authority',
]);

/** Prepositions that take an organisation ("at", "for", "with" …): read before a lone word in no lexicon. */
export const ORG_PREPOSITION = new Set(['at', 'for', 'with', 'by', 'from', 'of', 'joined', 'via']);

const words = (s: string): ReadonlySet<string> => new Set(s.split(' '));

// Job titles, roles and dealings before "at": "a nurse at X", "CEO at X", "my account at X".
const ROLE_AT = words(
  'work works worked working employed hired job jobs position role career internship interned intern employee employees ' +
  'engineer developer designer analyst consultant manager director scientist researcher accountant attorney lawyer ' +
  'paralegal specialist coordinator assistant administrator clerk architect technician supervisor executive staff ' +
  'colleague colleagues team nurse teacher professor lecturer cashier banker partner associate officer representative ' +
  'rep agent broker trader secretary receptionist programmer editor writer journalist reporter producer worker ' +
  'volunteer fellow trainee apprentice chef cook waiter waitress barista driver pilot mechanic electrician salesman ' +
  'saleswoman salesperson ceo cto cfo coo cio vp president founder co-founder cofounder head lead chair chairman ' +
  'chairwoman physician pharmacist dentist surgeon therapist counsel counselor counsellor adviser advisor auditor ' +
  'economist marketer recruiter buyer planner strategist instructor tutor guard operator contractor freelancer stint ' +
  'tenure years shift interview interviewed offer opening vacancy promotion desk boss everyone people folks guys ' +
  'someone somebody anyone friend friends account accounts customer client shareholder investor member members',
);

/**
 * Before an organisation, by the context's last word: true (the word alone), the words one of which must stand just
 * before it ("nurse" of "a nurse at"), or a regex for what must end the context. Employment ("works for", "joined",
 * "a nurse at"), ownership and money ("acquired by", "shares of", "invested in"), a role in it ("CEO of", "founder
 * of"), dealings with it ("a contract with", "an offer from"), and form labels ("Employer:", "Company:").
 */
export const ORG_BEFORE_WORDS: Record<string, ReadonlySet<string> | RegExp | true> = {
  for: words('work works worked working recorded volunteer volunteers volunteered volunteering consult consults consulted consulting spokesperson spokesman spokeswoman contractor intern interned interning'),
  at: ROLE_AT,
  by: words('employed hired acquired bought purchased owned funded backed sponsored founded insured issued operated manufactured sued fined audited underwritten'),
  of: words('address ceo cto cfo coo cio founder co-founder cofounder chairman chairwoman chair president board subsidiary division shares stock employee employees staff shareholder shareholders investor investors customer customers client clients owner owners headquarters spokesperson spokesman spokeswoman representative representatives behalf acquisition takeover ipo merger executive'),
  with: words('account accounts contract partnership partnered merger merged agreement insured banking bank banks policy subscription job position internship career employment employed partner partners invested investment stake'),
  from: words('offer offers recruiter recruiters representative representatives rep someone somebody anyone people folks guys engineers staff employee employees team colleague colleagues refund invoice statement bill loan mortgage grant funding investment bonus paycheck salary severance'),
  in: words('invest invests invested investing shares stake stock holdings position'),
  is: words('employer company firm workplace bank insurer carrier provider organization organisation'),
  support: true, joined: true, joining: true, employer: true, employers: true, workplace: true,
  company: /company:[ \t]*$/, organization: /organization:[ \t]*$/, organisation: /organisation:[ \t]*$/,
  firm: /firm:[ \t]*$/, business: /business:[ \t]*$/, institution: /institution:[ \t]*$/,
};

// What only an organisation is said to do or have (lower-cased text right after the run): "X announced", "X's
// shareholders", "X (NASDAQ: …)", "X, which makes …". Read only for a run no rule placed that is no place or given
// name (a person announces things too, so a person's name is never read by this).
export const ORG_AFTER_LATE = /^(?:['’]s (?:shareholders|investors|stock price|share price|market (?:cap|value)|quarterly|annual|earnings|revenue|profits?|ipo|acquisition|merger|workforce|parent company|subsidiaries|customer (?:service|support|care)|support team|privacy policy|terms of (?:service|use)|products|factories|plants|branches|stores|headquarters|chief executive|co-?founders?|hr department|legal department|board of directors)\b| (?:announced|reported (?:earnings|revenue|profits?|a (?:loss|profit))|hired|hires|is hiring|laid off|employs|manufactures|is based in|is headquartered|was founded|was acquired|has acquired|went public|filed for bankruptcy|shares (?:rose|fell|jumped|dropped)|stock (?:rose|fell|jumped|dropped|price))\b| \((?:nyse|nasdaq|lse|tsx|asx|otc|ftse)\b|, (?:which|that) (?:makes|provides|sells|offers|develops|manufactures|is (?:based|headquartered))\b|, (?:a|an|the) (?:[\w-]+ ){0,3}(?:company|firm|agency|startup|retailer|manufacturer|provider|bank|insurer|maker|developer|supplier|vendor|distributor|consultancy|conglomerate|subsidiary)\b)/;
