/**
 * A fake of the guardrail services platform teams run, each speaking its documented format:
 * - `POST /v1/moderations` — OpenAI's moderation endpoint: `{model, input: string | string[]}` →
 *   `{id, model, results: [{flagged, categories: {name: bool}, category_scores: {name: number}}]}`, one result per
 *   input. Its rule: a text containing "kill" is `violence` (score 0.9), "hate" is `hate` (0.8); every other
 *   category scores 0.01.
 * - `POST /analyze` — Presidio's analyzer: `{text, language, entities?, score_threshold?}` →
 *   `[{entity_type, start, end, score}]`, offsets in code points (as Python counts). Its rule: e-mail addresses
 *   (EMAIL_ADDRESS, 1.0), "Zorblax Quux" / "Blorp Fizzwick" (PERSON, 0.85: names no lexicon knows), "Springfield" (LOCATION, 0.6).
 * - `POST /hook` — the gateway's generic HTTP hook (docs/guards.md): answers `block` for a text containing
 *   "forbidden", `flag` for "suspicious", else `allow`.
 * `enqueue(path, …)` replaces the next answers of one path (status, raw body, delay, hang): each path has its own
 * queue, so a test does not depend on which service's request arrives first. `requests` records what arrived;
 * `maxInFlight` the most requests open at once (all paths) since `resetMaxInFlight()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GuardrailBehaviour {
  status?: number;
  /** Raw body to send instead of the computed answer. */
  body?: string;
  delayMs?: number;
  hang?: boolean;
  /** Raw body written in these parts, one write each with a pause between (a character split across writes). */
  parts?: Buffer[];
}

export interface FakeGuardrails {
  url: string;
  requests: { path: string; headers: IncomingMessage['headers']; body: any }[];
  enqueue(path: string, ...b: GuardrailBehaviour[]): void;
  /** The most requests open at once since the last reset. */
  readonly maxInFlight: number;
  resetMaxInFlight(): void;
  close(): Promise<void>;
}

const CATEGORIES = ['harassment', 'hate', 'self-harm', 'sexual', 'violence'];

function moderation(body: any) {
  const inputs: string[] = Array.isArray(body?.input) ? body.input : [body?.input];
  return {
    id: 'modr-fake',
    model: body?.model ?? 'omni-moderation-latest',
    results: inputs.map((text) => {
      const scores = Object.fromEntries(CATEGORIES.map((c) => [c, 0.01]));
      if (/kill/i.test(text)) scores.violence = 0.9;
      if (/hate/i.test(text)) scores.hate = 0.8;
      // Scores between 0.3 and 0.5 are not flagged by the endpoint, only by a gateway threshold.
      if (/fight/i.test(text)) scores.violence = 0.4;
      const categories = Object.fromEntries(CATEGORIES.map((c) => [c, scores[c]! >= 0.5]));
      return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores };
    }),
  };
}

function analyze(body: any) {
  const text: string = body?.text ?? '';
  const out: { entity_type: string; start: number; end: number; score: number; analysis_explanation: null; recognition_metadata: object }[] = [];
  // Offsets in code points, as Presidio (Python) reports them.
  const cp = (utf16: number) => [...text.slice(0, utf16)].length;
  const add = (re: RegExp, type: string, score: number) => {
    for (const m of text.matchAll(re)) {
      out.push({ entity_type: type, start: cp(m.index!), end: cp(m.index! + m[0].length), score, analysis_explanation: null, recognition_metadata: { recognizer_name: 'fake' } });
    }
  };
  add(/[\w.+-]+@[\w-]+\.[\w.]+/g, 'EMAIL_ADDRESS', 1);
  add(/Zorblax Quux|Blorp Fizzwick/g, "PERSON", 0.85);
  add(/Springfield/g, 'LOCATION', 0.6);
  const wanted: string[] | undefined = body?.entities;
  const min: number = body?.score_threshold ?? 0;
  return out.filter((r) => (!wanted || wanted.includes(r.entity_type)) && r.score >= min);
}

function hook(body: any) {
  const text = (body?.messages ?? []).map((m: any) => m.content).join('\n');
  if (/forbidden/i.test(text)) return { verdict: 'block', reason: 'forbidden word', categories: ['policy'] };
  if (/suspicious/i.test(text)) return { verdict: 'flag', reason: 'looks suspicious' };
  return { verdict: 'allow' };
}

export async function startFakeGuardrails(): Promise<FakeGuardrails> {
  const queues = new Map<string, GuardrailBehaviour[]>();
  const requests: FakeGuardrails['requests'] = [];
  const open = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ path, headers: req.headers, body });
      const b = queues.get(path)?.shift() ?? {};
      if (b.hang) {
        open.add(res);
        return;
      }
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      const answer = path === '/v1/moderations' ? moderation(body) : path === '/analyze' ? analyze(body) : path === '/hook' ? hook(body) : undefined;
      res.writeHead(b.status ?? (answer ? 200 : 404), { 'content-type': 'application/json' });
      if (b.parts) {
        for (const part of b.parts) {
          res.write(part);
          await new Promise((r) => setTimeout(r, 20));
        }
        res.end();
        return;
      }
      res.end(b.body ?? JSON.stringify(answer ?? { error: 'not found' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (path, ...b) => {
      const q = queues.get(path) ?? [];
      q.push(...b);
      queues.set(path, q);
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise((r) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
