// This checkout's injection detector against an older one, in one process, on the varied corpus of the PII speed
// bench (400 texts per kind): ms per KB over the process's CPU time, best of interleaved rounds. The ratio is what
// to quote on a machine whose speed drifts (other load hits both sides alike).
// Run: mkdir /tmp/old && git archive <commit> guards src | tar -x -C /tmp/old &&
//      ln -s "$PWD/node_modules" /tmp/old/node_modules && echo '{"type":"module"}' > /tmp/old/package.json &&
//      npx tsx guards/injection/compare.ts /tmp/old [rounds]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from './index.js';
import { variedCorpus } from '../pii/bench/speed.js';

type Injection = Pick<typeof current, 'createInjectionDetector'>;

const oldDir = process.argv[2];
if (!oldDir) throw new Error('usage: npx tsx guards/injection/compare.ts <directory holding an older guards/injection> [rounds]');
const rounds = Number(process.argv[3] ?? 16);
const older = (await import(pathToFileURL(join(oldDir, 'guards/injection/index.ts')).href)) as Injection;
const detectors = [older.createInjectionDetector(), current.createInjectionDetector()];

const corpus = Object.entries(variedCorpus()).map(([kind, texts]) => [kind, texts.slice(0, 400)] as const);
for (const [, texts] of corpus) for (const d of detectors) for (const t of texts.slice(0, 50)) d.score(t); // warm-up
const best = corpus.map(() => [Infinity, Infinity]);
for (let r = 0; r < rounds; r++) {
  corpus.forEach(([, texts], k) => {
    const kb = texts.reduce((n, t) => n + t.length, 0) / 1024;
    // Alternate which side goes first, so a drift within a round favours neither.
    for (const side of r % 2 ? [1, 0] : [0, 1]) {
      const c0 = process.cpuUsage();
      for (const t of texts) detectors[side].score(t);
      const c = process.cpuUsage(c0);
      best[k][side] = Math.min(best[k][side], (c.user + c.system) / 1000 / kb);
    }
  });
}
console.log(`| text | older ms/KB | this ms/KB | × |\n|---|---:|---:|---:|`);
corpus.forEach(([kind], k) => console.log(`| ${kind} | ${best[k][0].toFixed(3)} | ${best[k][1].toFixed(3)} | ${(best[k][1] / best[k][0]).toFixed(2)} |`));
