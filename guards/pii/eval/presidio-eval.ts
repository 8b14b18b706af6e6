// Measures recall and precision of the pattern detector per structured entity type on the presidio-research
// synthetic dataset. Run: npx tsx guards/pii/eval/presidio-eval.ts [path-to-json]
import { readFileSync } from 'node:fs';
import type { PiiCategory, PiiDetector } from '../types.js';
import { createPiiDetector } from '../detector.js';
import { fromShared } from '../../../src/paths.js';

/** Gold entity type → the detector categories that count as finding it. */
export const ENTITY_MAP: Readonly<Record<string, readonly PiiCategory[]>> = {
  CREDIT_CARD: ['credit_card'],
  PHONE_NUMBER: ['phone'],
  EMAIL_ADDRESS: ['email'],
  IBAN_CODE: ['iban'],
  US_SSN: ['us_ssn', 'us_itin'],
  IP_ADDRESS: ['ipv4', 'ipv6'],
  US_DRIVER_LICENSE: ['us_driver_license'],
};

interface Span { entity_type: string; start_position: number; end_position: number }
interface Record_ { full_text: string; spans: Span[] }

/** Per-entity-type counts. A prediction is a true positive when it overlaps a gold span of its mapped type. */
export interface EntityScore { entity: string; gold: number; predicted: number; tp: number; recall: number; precision: number }

export function evaluate(records: Record_[], detector: PiiDetector = createPiiDetector()): EntityScore[] {
  const scores = new Map<string, { gold: number; predicted: number; tpGold: number; tpPred: number }>();
  for (const e of Object.keys(ENTITY_MAP)) scores.set(e, { gold: 0, predicted: 0, tpGold: 0, tpPred: 0 });
  for (const rec of records) {
    const findings = detector.detect(rec.full_text);
    for (const [entity, cats] of Object.entries(ENTITY_MAP)) {
      const s = scores.get(entity)!;
      const gold = rec.spans.filter((g) => g.entity_type === entity);
      const pred = findings.filter((f) => cats.includes(f.category));
      const overlaps = (a: { start: number; end: number }, g: Span) => a.start < g.end_position && g.start_position < a.end;
      s.gold += gold.length;
      s.predicted += pred.length;
      s.tpGold += gold.filter((g) => pred.some((p) => overlaps(p, g))).length;
      s.tpPred += pred.filter((p) => gold.some((g) => overlaps(p, g))).length;
    }
  }
  return [...scores].map(([entity, s]) => ({
    entity,
    gold: s.gold,
    predicted: s.predicted,
    tp: s.tpGold,
    recall: s.gold ? s.tpGold / s.gold : 1,
    precision: s.predicted ? s.tpPred / s.predicted : 1,
  }));
}

export function loadRecords(path: string): Record_[] {
  return JSON.parse(readFileSync(path, 'utf8')) as Record_[];
}

export function toMarkdown(scores: EntityScore[]): string {
  const rows = scores.map(
    (s) => `| ${s.entity} | ${s.gold} | ${s.predicted} | ${s.recall.toFixed(3)} | ${s.precision.toFixed(3)} |`,
  );
  return ['| entity | gold spans | predicted | recall | precision |', '|---|---:|---:|---:|---:|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Flags (--misses) may come before or after the optional dataset path.
  const path = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? fromShared('datasets/pii/presidio-synth-dev.json');
  const records = loadRecords(path);
  const scores = evaluate(records);
  console.log(toMarkdown(scores));
  if (process.argv.includes('--misses')) {
    const d = createPiiDetector();
    for (const rec of records) {
      const f = d.detect(rec.full_text);
      for (const [entity, cats] of Object.entries(ENTITY_MAP)) {
        for (const g of rec.spans.filter((s) => s.entity_type === entity)) {
          if (!f.some((p) => cats.includes(p.category) && p.start < g.end_position && g.start_position < p.end))
            console.log('MISS', entity, JSON.stringify(rec.full_text.slice(Math.max(0, g.start_position - 40), g.end_position + 10)));
        }
        for (const p of f.filter((p) => cats.includes(p.category))) {
          if (!rec.spans.some((g) => g.entity_type === entity && p.start < g.end_position && g.start_position < p.end))
            console.log('FP', entity, p.category, JSON.stringify(rec.full_text.slice(Math.max(0, p.start - 40), p.end + 10)), '→', JSON.stringify(rec.full_text.slice(p.start, p.end)));
        }
      }
    }
  }
}
