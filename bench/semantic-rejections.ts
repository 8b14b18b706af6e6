/**
 * Which true paraphrases the in-process verifier refuses, and why (issue 23.4): every SICK train pair labelled a
 * paraphrase (ENTAILMENT, relatedness ≥ 4) is verified as the cache does (sentence A stored, B asked), without an
 * embedder; refused pairs are grouped by the verifier's reason and by how the wording differs. Also counts the
 * non-paraphrases and contradictions it would accept (both directions for contradictions).
 *
 *   npx tsx bench/semantic-rejections.ts            # summary
 *   npx tsx bench/semantic-rejections.ts --list     # and every refused pair, by group
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyHit } from '../src/cache/verify-hit.js';
import { fromShared } from '../src/paths.js';

const file = join(fromShared('datasets/paraphrase'), 'sick2014-train.txt');
const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const words = (s: string) => s.toLowerCase().match(/[a-z0-9'-]+/g) ?? [];
const ARTICLES = new Set(['a', 'an', 'the', 'is', 'are', 'being', 'by', 'of']);

/** How the two sentences' words differ (articles and auxiliaries aside). */
function difference(a: string, b: string): string {
  const wa = words(a).filter((w) => !ARTICLES.has(w));
  const wb = words(b).filter((w) => !ARTICLES.has(w));
  const onlyA = wa.filter((w) => !wb.includes(w));
  const onlyB = wb.filter((w) => !wa.includes(w));
  if (!onlyA.length && !onlyB.length) return 'same words, other order or structure';
  if (!onlyA.length) return 'the asked sentence adds words (says more than the stored one)';
  if (!onlyB.length) return 'the asked sentence leaves out words the verifier may not drop (nouns, verbs, phrases)';
  if (onlyA.length === 1 && onlyB.length === 1) return 'one word for another (not a first-sense synonym or hypernym)';
  return 'reworded (several words differ)';
}

let paraphrases = 0;
let accepted = 0;
const groups = new Map<string, string[]>();
let wrong = 0;
let contradictions = 0;
for (const [, a, b, rel, label] of rows) {
  const paraphrase = label === 'ENTAILMENT' && Number(rel) >= 4;
  const v = verifyHit(b!, a!);
  if (label === 'CONTRADICTION' && (v.ok || verifyHit(a!, b!).ok)) contradictions++;
  if (!paraphrase) {
    if (v.ok) wrong++;
    continue;
  }
  paraphrases++;
  if (v.ok) {
    accepted++;
    continue;
  }
  const key = `${v.reason}: ${['content', 'relation'].includes(v.reason) ? difference(a!, b!) : v.reason === 'number' ? 'numbers (digits, words, "one" for "a")' : v.reason}`;
  groups.set(key, [...(groups.get(key) ?? []), `${a} | ${b}`]);
}
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
console.log(`SICK train: ${paraphrases} paraphrases, ${accepted} accepted by the verifier (${pct(accepted, paraphrases)}); non-paraphrases accepted: ${wrong}; contradictions accepted (either direction): ${contradictions}\n`);
console.log('| refused because | pairs | share of paraphrases |\n|---|---|---|');
for (const [k, v] of [...groups].sort((x, y) => y[1].length - x[1].length)) console.log(`| ${k} | ${v.length} | ${pct(v.length, paraphrases)} |`);
if (process.argv.includes('--list')) for (const [k, v] of groups) console.log(`\n## ${k}\n${v.join('\n')}`);
