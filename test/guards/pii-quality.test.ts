import { describe, expect, it } from 'vitest';
import { evaluate, loadRecords } from '../../guards/pii/eval/presidio-eval.js';
import { fromShared } from '../../src/paths.js';

const DATASET = fromShared('datasets/pii/presidio-synth-dev.json');

// Floors sit below today's figures (docs/guards.md) so a regression in a recognizer fails the build.
const FLOORS: Record<string, { recall: number; precision: number }> = {
  CREDIT_CARD: { recall: 0.95, precision: 0.95 },
  EMAIL_ADDRESS: { recall: 0.95, precision: 0.95 },
  IBAN_CODE: { recall: 0.9, precision: 0.95 },
  US_SSN: { recall: 0.9, precision: 0.9 },
  IP_ADDRESS: { recall: 0.9, precision: 0.9 },
  PHONE_NUMBER: { recall: 0.85, precision: 0.9 },
  US_DRIVER_LICENSE: { recall: 0.75, precision: 0.75 },
};

describe('PII detector quality on presidio-research synthetic data', () => {
  const scores = evaluate(loadRecords(DATASET));

  it.each(Object.entries(FLOORS))('%s meets its recall and precision floors', (entity, floor) => {
    const s = scores.find((x) => x.entity === entity)!;
    expect(s.gold).toBeGreaterThan(0);
    expect(s.recall).toBeGreaterThanOrEqual(floor.recall);
    expect(s.precision).toBeGreaterThanOrEqual(floor.precision);
  });
});
