// PII scan speed on varied text, one core: prose (Wikipedia paragraphs in 8 languages, XQuAD), code (this repo's
// TypeScript sources), logs (generated JSON and access-log lines with IPs, ids, timestamps) and forms (the
// presidio-research sample's records). Prints MB/s per kind and overall, pattern-only and with names/places.
// Run: npx tsx guards/pii/bench/speed.ts [MB per kind, default 1] [--parts: also each part of the scan alone]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createPiiDetector, PATTERN_CATEGORIES } from '../index.js';
import { findAddresses } from '../entities/address.js';
import { findNames } from '../entities/names.js';
import { fromShared } from '../../../src/paths.js';

const perKind = (Number(process.argv[2]) || 1) * 1e6;

function take(texts: string[], bytes: number): string[] {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes && texts.length; i++) {
    const t = texts[i % texts.length];
    out.push(t);
    n += t.length;
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}

function logs(): string[] {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const ts = new Date(1_700_000_000_000 + i * 137_000).toISOString();
    const ip = `${10 + rnd(200)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
    const id = rnd(0x7fffffff).toString(16).padStart(8, '0') + '-' + rnd(0xffff).toString(16) + '-4a1b-9c2d-' + rnd(0x7fffffff).toString(16).padStart(12, '0');
    lines.push(i % 2
      ? `{"level":30,"time":"${ts}","reqId":"${id}","msg":"request completed","method":"POST","url":"/v1/chat/completions","status":${[200, 200, 429, 500][rnd(4)]},"ms":${rnd(900)},"team":"team-${rnd(40)}","remote":"${ip}"}`
      : `${ip} - - [${ts}] "GET /api/v2/orders/${rnd(1e6)}?page=${rnd(20)} HTTP/1.1" ${[200, 304, 404][rnd(3)]} ${rnd(50000)} "-" "Mozilla/5.0 (X11; Linux x86_64)" rt=${(rnd(3000) / 1000).toFixed(3)}`);
  }
  return [lines.join('\n')];
}

export function variedCorpus(): Record<string, string[]> {
  const jsonl = (f: string) => readFileSync(fromShared(`datasets/prompt-injection/extra/${f}`), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
  const presidio = JSON.parse(readFileSync(fromShared('datasets/pii/presidio-synth-dev.json'), 'utf8')) as { full_text: string }[];
  return {
    prose: take(jsonl('xquad-contexts.jsonl'), perKind),
    code: take(tsFiles(join(import.meta.dirname, '../../../src')), perKind),
    logs: take(logs(), perKind),
    forms: take(presidio.map((r) => r.full_text), perKind),
  };
}

/**
 * MB/s per core: bytes over the process's own CPU time (user + system), best of 3 rounds. CPU time, not wall time,
 * so that other jobs on a shared machine do not count against the scan (they still slow it through caches).
 */
export function mbps(detect: (t: string) => unknown, texts: string[]): number {
  for (const t of texts) detect(t); // warm-up: one full pass (200 texts left the JIT still compiling on prose)
  let best = 0;
  const bytes = texts.reduce((n, t) => n + t.length, 0);
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    for (const t of texts) detect(t);
    const c = process.cpuUsage(c0);
    best = Math.max(best, bytes / 1e6 / ((c.user + c.system) / 1e6));
  }
  return best;
}

/**
 * Where the time of the default scan goes: MB/s of each part alone on each kind (pattern recognizers; street
 * addresses; names, places and organisations). 1 / MB/s adds up to about the whole scan's 1 / MB/s.
 */
function parts(corpus: Record<string, string[]>): void {
  const patterns = createPiiDetector({ categories: PATTERN_CATEGORIES });
  const names = new Set(['person', 'location', 'organization', 'street_address'] as const);
  console.log('\n| text | pattern recognizers MB/s | addresses MB/s | names, places, organisations MB/s |\n|---|---:|---:|---:|');
  for (const [kind, texts] of Object.entries(corpus)) {
    const row = [mbps((t) => patterns.detect(t), texts), mbps((t) => findAddresses(t), texts), mbps((t) => findNames(t, [], names), texts)];
    console.log(`| ${kind} | ${row.map((v) => v.toFixed(1)).join(' | ')} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const corpus = variedCorpus();
  const full = createPiiDetector();
  const patterns = createPiiDetector({ categories: PATTERN_CATEGORIES });
  console.log('| text | MB | all categories MB/s | pattern categories only MB/s |\n|---|---:|---:|---:|');
  const all: string[] = [];
  for (const [kind, texts] of Object.entries(corpus)) {
    all.push(...texts);
    const mb = texts.reduce((n, t) => n + t.length, 0) / 1e6;
    console.log(`| ${kind} | ${mb.toFixed(1)} | ${mbps((t) => full.detect(t), texts).toFixed(1)} | ${mbps((t) => patterns.detect(t), texts).toFixed(1)} |`);
  }
  const mixed = all.map((_, i) => all[(i * 7919) % all.length]);
  console.log(`| all four, interleaved | ${(all.reduce((n, t) => n + t.length, 0) / 1e6).toFixed(1)} | ${mbps((t) => full.detect(t), mixed).toFixed(1)} | ${mbps((t) => patterns.detect(t), mixed).toFixed(1)} |`);
  if (process.argv.includes('--parts')) parts(corpus);
}
