// Throughput of the PII guard: every pattern recognizer over a ~10 KB realistic prompt (MB/s on one core), and the
// per-request cost of a pseudonymising session on a 1 KB prompt. Run alone: npx tsx bench/pii.ts
import { createPiiDetector, createPiiSession, createOutputRedactor } from '../guards/pii/index.js';

const PARAGRAPHS = [
  'Hi team, following up on yesterday\'s incident review. The checkout service started returning 503s at 14:32 UTC after deploy 2024.11.3 (build 8812). Latency p99 went from 180 ms to 2.4 s and the error rate peaked at 7.5%.',
  'Customer Jane Cooper (jane.cooper@example.com, +44 20 7946 0958) reported that her card ending 4242 was charged twice for order #1048576 ($129.99). Please refund one of the charges; her IBAN for the refund is DE89 3704 0044 0532 0130 00.',
  'Root cause: the connection pool in db-proxy v3.2.1 was capped at 50 while traffic doubled. See commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 and the dashboard at https://grafana.internal/d/abc123?orgId=1&from=now-6h.',
  '```ts\nexport async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {\n  for (let i = 0; i < attempts; i++) {\n    try { return await fn(); } catch (e) { await sleep(2 ** i * 100); }\n  }\n  throw new Error(`failed after ${attempts} attempts`);\n}\n```',
  'Action items: (1) raise the pool to 200 connections, (2) add an alert when saturation exceeds 80% for 5 minutes, (3) load test at 2x peak (about 12,000 rps) before the Black Friday freeze on 2024-11-22.',
  'For the on-call handover: the staging host is 10.20.30.40, the bastion is reachable at bastion.example.net, and the runbook lives in Confluence page 88231. Call Bob on 415-555-0132 if the pager does not ack within 10 minutes.',
  'Metrics snapshot: cpu 63.2%, memory 11.4 GiB of 16 GiB, gc pauses 12 ms p95, open files 18342, goroutines 1532. Disk usage on /var/lib/postgresql is 71% (412 GB of 580 GB).',
  'Please summarise the above for the weekly report in three bullet points, keep the tone neutral, and do not include customer names or payment details. Mention the follow-up review scheduled for Thursday 28 November at 10:00.',
];

/** Builds a deterministic prompt of about `bytes` characters from realistic paragraphs. */
export function buildPrompt(bytes: number): string {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < bytes; i++) {
    const p = PARAGRAPHS[i % PARAGRAPHS.length];
    parts.push(p);
    len += p.length + 2;
  }
  return parts.join('\n\n').slice(0, bytes);
}

/** Mean and best per-op time over batches of 10; "best" is the least disturbed by other load on a shared machine. */
function timeIt(fn: () => void, minMs: number): { perOpMs: number; bestMs: number } {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT and regex compilation
  let ops = 0;
  let best = Infinity;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) fn();
    best = Math.min(best, (performance.now() - t0) / 10);
    ops += 10;
  }
  return { perOpMs: (performance.now() - start) / ops, bestMs: best };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const detector = createPiiDetector();
  const prompt10k = buildPrompt(10 * 1024);
  const prompt1k = buildPrompt(1024);
  const policy = { defaultAction: 'pseudonymise' as const };

  const detect = timeIt(() => detector.detect(prompt10k), 1500);
  const mbps = prompt10k.length / 1e6 / (detect.perOpMs / 1000);
  const bestMbps = prompt10k.length / 1e6 / (detect.bestMs / 1000);
  const session = timeIt(() => {
    const s = createPiiSession(detector, policy);
    const out = s.apply(prompt1k);
    s.restore(out.text);
  }, 1000);
  const redactor = timeIt(() => {
    const r = createOutputRedactor(detector, { defaultAction: 'redact' });
    for (let i = 0; i < prompt1k.length; i += 16) r.push(prompt1k.slice(i, i + 16));
    r.flush();
  }, 1000);
  const findings = detector.detect(prompt10k).length;

  const markdown = [
    '| measurement | value |',
    '|---|---:|',
    `| detect, all ${detector.categories.length} pattern categories, ${prompt10k.length} B prompt (${findings} findings) | ${detect.perOpMs.toFixed(3)} ms/op, **${mbps.toFixed(1)} MB/s** (best batch ${bestMbps.toFixed(1)} MB/s) |`,
    `| session: apply (pseudonymise) + restore, ${prompt1k.length} B prompt | ${(session.perOpMs * 1000).toFixed(0)} µs/request |`,
    `| output redactor, ${prompt1k.length} B streamed in 16-char chunks | ${(redactor.perOpMs * 1000).toFixed(0)} µs/stream |`,
    '',
    'Method: single thread, warmed up, mean over batches of 10 for ≥1 s each (best batch in brackets, least disturbed by other load); MB/s counts characters as bytes (the prompt is ASCII).',
  ].join('\n');
  return { title: 'PII guard throughput', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { title, markdown } = await run();
  console.log(`## ${title}\n\n${markdown}`);
}
