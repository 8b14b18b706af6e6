// This checkout's PII scan against an older one, in one process, on the varied corpus of speed.ts: the ratio is what
// to quote on a machine whose speed drifts (absolute MB/s move with other load; both sides move together).
// Run: git archive <commit> guards/pii | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/node_modules &&
//      echo '{"type":"module"}' > /tmp/old/package.json && npx tsx guards/pii/bench/compare.ts /tmp/old
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../index.js';
import { mbps, variedCorpus } from './speed.js';

type Pii = Pick<typeof current, 'createPiiDetector' | 'PATTERN_CATEGORIES'>;

const oldDir = process.argv[2];
if (!oldDir) throw new Error('usage: npx tsx guards/pii/bench/compare.ts <directory holding an older guards/pii>');
const older = (await import(pathToFileURL(join(oldDir, 'guards/pii/index.ts')).href)) as Pii;

/** Best MB/s of `rounds` alternations of the two detectors (alternating spreads other load over both). */
function race(a: (t: string) => unknown, b: (t: string) => unknown, texts: string[], rounds = 3): [number, number] {
  let x = 0;
  let y = 0;
  for (let r = 0; r < rounds; r++) {
    x = Math.max(x, mbps(a, texts));
    y = Math.max(y, mbps(b, texts));
  }
  return [x, y];
}

console.log('| text | default categories: older → this MB/s | × | pattern categories: older → this MB/s | × |\n|---|---:|---:|---:|---:|');
const corpus = variedCorpus();
const all = Object.values(corpus).flat();
// The same mix as speed.ts's last row: every kind's texts, interleaved.
const kinds: [string, string[]][] = [...Object.entries(corpus), ['all four, interleaved', all.map((_, i) => all[(i * 7919) % all.length])]];
for (const [kind, texts] of kinds) {
  const cells: string[] = [kind];
  for (const opts of [{}, { categories: current.PATTERN_CATEGORIES }]) {
    const o = older.createPiiDetector(opts);
    const n = current.createPiiDetector(opts);
    const [a, b] = race((t) => o.detect(t), (t) => n.detect(t), texts);
    cells.push(`${a.toFixed(1)} → ${b.toFixed(1)}`, `${(b / a).toFixed(2)}×`);
  }
  console.log(`| ${cells.join(' | ')} |`);
}
