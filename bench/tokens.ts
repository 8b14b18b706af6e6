/**
 * Cost of token accounting on the hot path: prompt estimate for a 1 KB and a 20 KB prompt (cold = text never
 * seen, so every string is encoded; warm = same system prompt and history as the previous request, served from
 * the memo), streamed-output counting, and cost computation.
 */
import type { ChatRequest, OpenAIChatBody } from '../src/core/types.js';
import { countPromptTokens, countTextTokens, createCompletionCounter, getEncoder } from '../src/tokens/index.js';
import { costMicros, parsePrice } from '../src/usage/pricing.js';

const PROSE =
  'The gateway estimates prompt tokens before each call so that budgets can reserve the worst case. ' +
  'Users send system prompts, conversation history, tool schemas and occasionally images; the estimate must ' +
  'follow the provider closely and cost little. Numbers like 3.14159, 2024-06-01 and 1,234,567 appear too. ';

/** Text of pseudo-random words: nothing in it has been seen before, so no memo can help. */
function novel(chars: number, seed: number): string {
  let x = Math.imul(seed, 2654435761) >>> 0;
  let s = '';
  while (s.length < chars) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const len = 2 + (x % 9);
    let w = ' ';
    for (let i = 0; i < len; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      w += String.fromCharCode(97 + ((x >>> 8) % 26));
    }
    s += x % 7 === 0 ? `${w}.` : w;
  }
  return s.slice(0, chars);
}

function text(chars: number, salt: number): string {
  let s = `#${salt} `;
  while (s.length < chars) s += PROSE;
  return s.slice(0, chars);
}

/** A chat of `chars` total: a system prompt (40%), history turns, and a fresh user question. */
function request(chars: number, salt: number, fresh: boolean): ChatRequest {
  const sys = text(Math.floor(chars * 0.4), fresh ? salt : 0);
  const turns = 6;
  const messages: OpenAIChatBody['messages'] = [{ role: 'system', content: sys }];
  for (let i = 0; i < turns; i++) {
    const t = text(Math.floor((chars * 0.55) / turns), fresh ? salt * 100 + i : i);
    messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: t });
  }
  messages.push({ role: 'user', content: `Question ${salt}: what does this cost?` });
  const body = { model: 'gpt-4o', messages } as OpenAIChatBody;
  return { model: 'gpt-4o', messages, stream: true, includeUsage: false, n: 1, body };
}

function timeUs(iterations: number, fn: (i: number) => void): { mean: number; p50: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean, p50: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  countTextTokens('warm up the encoder', 'o200k_base');
  const rows: string[] = [];
  const fmt = (n: number) => n.toFixed(1);
  for (const kb of [1, 20]) {
    const chars = kb * 1024;
    const iters = kb === 1 ? 2000 : 150;
    // Prebuild requests so building them is not timed.
    const cold = Array.from({ length: iters }, (_, i) => request(chars, i + 1, true));
    const warm = Array.from({ length: iters }, (_, i) => request(chars, i + 1, false));
    const c = timeUs(iters, (i) => countPromptTokens(cold[i], 'gpt-4o'));
    countPromptTokens(warm[0], 'gpt-4o');
    const w = timeUs(iters, (i) => countPromptTokens(warm[i], 'gpt-4o'));
    const tokens = countPromptTokens(cold[0], 'gpt-4o');
    const novelReqs = Array.from({ length: iters }, (_, i) => {
      const body = { model: 'gpt-4o', messages: [{ role: 'user', content: novel(chars, kb * 100_000 + i) }] } as OpenAIChatBody;
      return { model: 'gpt-4o', messages: body.messages, stream: false, includeUsage: false, n: 1, body } as ChatRequest;
    });
    const nv = timeUs(iters, (i) => countPromptTokens(novelReqs[i], 'gpt-4o'));
    const enc = getEncoder('o200k_base');
    const rawTexts = novelReqs.map((r) => String(r.messages[0].content));
    const raw = timeUs(iters, (i) => enc.encode_ordinary(rawTexts[i]));
    rows.push(`| countPromptTokens ${kb} KB (${tokens} tokens), cold | ${fmt(c.mean)} | ${fmt(c.p50)} | ${fmt(c.p99)} |`);
    rows.push(`| countPromptTokens ${kb} KB, warm (same system prompt + history) | ${fmt(w.mean)} | ${fmt(w.p50)} | ${fmt(w.p99)} |`);
    rows.push(`| countPromptTokens ${kb} KB, novel words (no memo can help) | ${fmt(nv.mean)} | ${fmt(nv.p50)} | ${fmt(nv.p99)} |`);
    rows.push(`| baseline: tiktoken encode_ordinary of the same novel ${kb} KB | ${fmt(raw.mean)} | ${fmt(raw.p50)} | ${fmt(raw.p99)} |`);
  }
  // Streamed output: 4 KB answer in ~4-char deltas, tokens() read after every delta (per-chunk metering).
  const answer = text(4096, 7);
  const deltas: string[] = [];
  for (let i = 0; i < answer.length; i += 4) deltas.push(answer.slice(i, i + 4));
  const s = timeUs(50, () => {
    const counter = createCompletionCounter('gpt-4o');
    for (const d of deltas) {
      counter.add(d);
      counter.tokens();
    }
  });
  rows.push(`| completion counter, 4 KB in ${deltas.length} deltas, tokens() per delta (per stream) | ${fmt(s.mean)} | ${fmt(s.p50)} | ${fmt(s.p99)} |`);
  const price = parsePrice({ inputPerMTok: '0.15', outputPerMTok: '0.6', cachedInputPerMTok: '0.075' });
  const u = { promptTokens: 2006, completionTokens: 300, cachedTokens: 1920, cacheWriteTokens: 0, estimated: false };
  const k = 100_000;
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < k; i++) sink += costMicros(u, price);
  const costNs = Number(process.hrtime.bigint() - t0) / k;
  rows.push(`| costMicros (parsed price) | ${(costNs / 1000).toFixed(3)} | | |`);
  if (sink < 0) throw new Error('unreachable');
  const markdown = [
    '| operation | mean µs | p50 µs | p99 µs |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    'Method: in-process, one thread, tiktoken WASM (o200k_base), prebuilt requests. "cold" = message strings never ' +
      'seen before built from common words (the per-word memo is warm, as in a running gateway); "warm" = the ' +
      'previous request\'s system prompt and history resent; "novel words" = pseudo-random words, every one unseen.',
  ].join('\n');
  return { title: 'Token counting and pricing', markdown };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(`## ${r.title}\n\n${r.markdown}`));
}
