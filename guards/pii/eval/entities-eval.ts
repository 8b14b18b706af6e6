// Recall / precision of the default (model-free) name, place, organisation and address recognizers on the
// presidio-research sample, split BY TEMPLATE: records of templates with id % 3 === 0 are held out (never looked at
// while writing the rules); the rest is the tuning part. Also counts findings on the negative prose corpus.
// Run: npx tsx guards/pii/eval/entities-eval.ts [--misses] [--part tune|heldout|all]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createPiiDetector } from '../detector.js';
import type { PiiCategory, PiiDetector } from '../types.js';
import { fromShared } from '../../../src/paths.js';

/** Gold type → detector category of that type. */
export const ENTITY_TYPES: Readonly<Record<string, PiiCategory>> = {
  PERSON: 'person', STREET_ADDRESS: 'street_address', GPE: 'location', ORGANIZATION: 'organization',
};
// presidio labels a city line inside an address either GPE or STREET_ADDRESS depending on the template, so an
// address or location finding counts for either (both are replaced before the provider sees them).
const COMPATIBLE: Readonly<Record<string, readonly string[]>> = {
  person: ['PERSON'], organization: ['ORGANIZATION'],
  location: ['GPE', 'STREET_ADDRESS', 'LOCATION'], street_address: ['STREET_ADDRESS', 'GPE', 'ZIP_CODE', 'LOCATION'],
};
const FINDS: Readonly<Record<string, readonly PiiCategory[]>> = {
  PERSON: ['person'], ORGANIZATION: ['organization'], GPE: ['location', 'street_address'], STREET_ADDRESS: ['street_address', 'location'],
};

interface Span { entity_type: string; start_position: number; end_position: number }
export interface PiiRecord { full_text: string; spans: Span[]; template_id: number }
export interface Score { entity: string; gold: number; predicted: number; recall: number; precision: number }

export const isHeldOut = (r: PiiRecord) => r.template_id % 3 === 0;

export function loadPresidio(): PiiRecord[] {
  return JSON.parse(readFileSync(fromShared('datasets/pii/presidio-synth-dev.json'), 'utf8')) as PiiRecord[];
}

const overlaps = (p: { start: number; end: number }, g: Span) => p.start < g.end_position && g.start_position < p.end;

export function scoreEntities(records: PiiRecord[], detector: PiiDetector = createPiiDetector(), log?: (s: string) => void): Score[] {
  const out: Score[] = [];
  const findings = records.map((r) => detector.detect(r.full_text));
  for (const [entity, cat] of Object.entries(ENTITY_TYPES)) {
    let gold = 0, found = 0, predicted = 0, correct = 0;
    records.forEach((r, i) => {
      const f = findings[i];
      for (const g of r.spans.filter((s) => s.entity_type === entity)) {
        gold++;
        if (f.some((p) => FINDS[entity].includes(p.category) && overlaps(p, g))) found++;
        else log?.(`MISS ${entity} ${JSON.stringify(r.full_text.slice(Math.max(0, g.start_position - 30), g.end_position + 10))} → ${JSON.stringify(r.full_text.slice(g.start_position, g.end_position))}`);
      }
      for (const p of f.filter((p) => p.category === cat)) {
        predicted++;
        if (r.spans.some((g) => COMPATIBLE[cat].includes(g.entity_type) && overlaps(p, g))) correct++;
        else log?.(`FP ${cat} ${JSON.stringify(r.full_text.slice(Math.max(0, p.start - 30), p.end + 10))} → ${JSON.stringify(r.full_text.slice(p.start, p.end))}`);
      }
    });
    out.push({ entity, gold, predicted, recall: gold ? found / gold : 1, precision: predicted ? correct / predicted : 1 });
  }
  return out;
}

/** The negative corpus: ordinary prose with no personal data (see test/guards/fixtures/README.md for provenance). */
export function negativeCorpus(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return readFileSync(join(here, '../../../test/guards/fixtures/prose-negative.txt'), 'utf8').split(/\n{2,}/).filter((p) => p.trim());
}

export function table(scores: Score[]): string {
  return ['| entity | gold | predicted | recall | precision |', '|---|---:|---:|---:|---:|',
    ...scores.map((s) => `| ${s.entity} | ${s.gold} | ${s.predicted} | ${s.recall.toFixed(3)} | ${s.precision.toFixed(3)} |`)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const misses = process.argv.includes('--misses');
  const part = process.argv.includes('--part') ? process.argv[process.argv.indexOf('--part') + 1] : 'all';
  const recs = loadPresidio();
  const d = createPiiDetector();
  for (const [name, sel] of [['tuning (template id % 3 ≠ 0)', recs.filter((r) => !isHeldOut(r))], ['held-out (template id % 3 = 0)', recs.filter(isHeldOut)]] as const) {
    if (part !== 'all' && !name.startsWith(part === 'tune' ? 'tuning' : 'held')) continue;
    console.log(`\n${name}: ${sel.length} records`);
    console.log(table(scoreEntities(sel, d, misses ? console.log : undefined)));
  }
  try {
    const paras = negativeCorpus();
    const chars = paras.reduce((n, p) => n + p.length, 0);
    const fps = paras.flatMap((p) => d.detect(p).filter((f) => ['person', 'location', 'organization', 'street_address'].includes(f.category)).map((f) => `${f.category}: ${p.slice(f.start, f.end)}`));
    console.log(`\nnegative prose corpus: ${paras.length} paragraphs, ${chars} chars, ${fps.length} name/place/org/address findings`);
    if (misses) for (const f of fps) console.log('NEG', f);
  } catch (e) { console.log('negative corpus missing:', (e as Error).message); }
}
