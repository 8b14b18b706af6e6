// Injection scoring cost per KB on varied text (the PII speed corpus: prose, code, logs, forms), over the process's
// own CPU time, and how much of it the decoders of hidden text take. Run: npx tsx guards/injection/speed.ts
import { createInjectionDetector } from './index.js';
import { decodeHidden } from './decoders.js';
import { variedCorpus } from '../pii/bench/speed.js';

function msPerKb(f: (t: string) => unknown, texts: string[]): number {
  const kb = texts.reduce((n, t) => n + t.length, 0) / 1024;
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    const c0 = process.cpuUsage();
    for (const t of texts) f(t);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / kb);
  }
  return best;
}

const det = createInjectionDetector();
console.log('| text | ms per KB (score) | of which decoders |\n|---|---:|---:|');
for (const [kind, all] of Object.entries(variedCorpus())) {
  const texts = all.slice(0, 400);
  for (const t of texts.slice(0, 50)) det.score(t); // warm-up
  console.log(`| ${kind} | ${msPerKb((t) => det.score(t), texts).toFixed(3)} | ${msPerKb((t) => decodeHidden(t), texts).toFixed(3)} |`);
}
