/**
 * Issue 23.2: per-team calibration from shadow traffic. A verified would-be hit is compared with the provider's
 * fresh answer and counted in its similarity band; `semantic: on` serves only in bands whose comparisons agreed
 * at least `precision` of the time over at least `minSamples`. Real SQLite state store, embedded vector store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { answersAgree, bandOf, bandServes, SAME_WORDING_FLOOR } from '../../src/cache/calibration.js';
import { createResponseCache, type ResponseCache } from '../../src/cache/response-cache.js';
import { CACHE_DEFAULTS, type EffectiveCache } from '../../src/config/policy.js';
import type { ChatResponse } from '../../src/core/types.js';
import { createSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createEmbeddedVectorStore, type VectorStore } from '../../src/vector/vector-store.js';
import { request, testConfig, wordEmbedder } from '../routing/helpers.js';
import { calibrationView } from '../../src/dashboard/semantic-calibration.js';

const answer = (content: string) =>
  ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }] }) as ChatResponse;
const ask = (content: string) => request({ messages: [{ role: 'user', content }], temperature: 0 });
const on = (minSamples: number, precision = 1) =>
  ({ ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { precision, minSamples } }) as EffectiveCache;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let store: StateStore;
let vectors: VectorStore;
let cache: ResponseCache;
beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
  dirs.push(dir);
  store = await createSqliteStateStore({ path: ':memory:' });
  vectors = createEmbeddedVectorStore({ dir });
  await vectors.init(64);
  const embedder = wordEmbedder(64);
  cache = createResponseCache({ store, vectors, embedder: () => embedder });
  return async () => {
    await vectors.close();
    await store.close();
  };
});

/** Stores `stored` with its answer, then asks `asked` (a paraphrase) and answers it with `fresh` from "the provider". */
async function round(policy: EffectiveCache, stored: string, asked: string, fresh: string, team = 'a') {
  const first = await cache.lookup(ask(stored), policy, 'team:a', 'm', {}, team);
  if (first.status === 'miss') await cache.write(first, answer(`Answer to: ${stored}`), policy);
  const second = await cache.lookup(ask(asked), policy, 'team:a', 'm', {}, team);
  const compared = second.status === 'hit' ? undefined : await cache.write(second, answer(fresh), policy);
  return { second, compared };
}

describe('semantic: on without calibration data', () => {
  it('does not serve a verified hit; compares it with the fresh answer and counts it in its band', async () => {
    const { second, compared } = await round(on(2), 'What is the boiling point of water?', 'what is the boiling point of water', 'Answer to: what is the boiling point of water');
    expect(second).toMatchObject({ status: 'miss', shadow: { layer: 'semantic', uncalibrated: true }, compare: { team: 'a' } });
    // Worded the same (only the case and the question mark differ): counted in the same-wording band.
    expect(compared).toEqual({ team: 'a', band: 'test:words|same', agreed: true });
    expect(await store.getCalibration('a')).toEqual([{ band: 'test:words|same', samples: 1, agreed: 1, costMicros: 0 }]);
  });

  it('serves in a band once minSamples comparisons agreed; another team is still uncalibrated', async () => {
    const policy = on(2);
    await round(policy, 'How tall is the Eiffel Tower?', 'how tall is the Eiffel Tower', 'Answer to: How tall is the Eiffel Tower?');
    await round(policy, 'How old is the Eiffel Tower?', 'how old is the Eiffel Tower', 'Answer to: how old is the Eiffel Tower');
    const { second } = await round(policy, 'Who designed the Eiffel Tower?', 'who designed the Eiffel Tower', 'unused');
    expect(second).toMatchObject({ status: 'hit', layer: 'semantic' });
    const other = await round(policy, 'Who painted the Mona Lisa?', 'who painted the Mona Lisa', 'Answer to: who painted the Mona Lisa', 'b');
    expect(other.second.status).toBe('miss');
  });

  it('a band whose comparisons disagreed more often than the precision allows keeps comparing, never serves', async () => {
    const policy = on(2, 0.999);
    await round(policy, 'What is the price of gold today?', 'what is the price of gold today', 'Gold trades at 2,412 dollars an ounce.');
    await round(policy, 'What is the price of silver today?', 'what is the price of silver today', 'Answer to: what is the price of silver today');
    expect(await store.getCalibration('a')).toEqual([{ band: 'test:words|same', samples: 2, agreed: 1, costMicros: 0 }]);
    const { second } = await round(policy, 'What is the price of oil today?', 'what is the price of oil today', 'x');
    expect(second).toMatchObject({ status: 'miss', shadow: { uncalibrated: true } });
  });

  it('a paraphrase not worded the same (a synonym) is compared in its similarity band, and served only from the threshold', async () => {
    // Bag-of-words similarity 7/8: below the threshold 0.9, above the calibration floor 0.8.
    const { second, compared } = await round(on(0), 'Four children are doing backbends in the park', 'Four kids are doing backbends in the park', 'Answer to: Four children are doing backbends in the park');
    expect(second).toMatchObject({ status: 'miss', shadow: { layer: 'semantic' } });
    expect(compared).toEqual({ team: 'a', band: 'test:words|0.850', agreed: true });
  });

  it('a paraphrase worded the same is served below the threshold, from SAME_WORDING_FLOOR (0.6), in its own band', async () => {
    // The passive: bag-of-words similarity ~0.78, under the threshold 0.9; the verifier reads the same words in the same roles.
    const { second } = await round(on(0), 'A man is slicing a tomato', 'A tomato is being sliced by a man', 'unused');
    expect(second).toMatchObject({ status: 'hit', layer: 'semantic', sameWording: true });
    expect((second as { similarity: number }).similarity).toBeLessThan(0.9);
    expect((second as { similarity: number }).similarity).toBeGreaterThanOrEqual(SAME_WORDING_FLOOR);
    // Uncalibrated, it is compared in that band like any other.
    const calibrating = await round(on(2), 'A woman is peeling a potato', 'A potato is being peeled by a woman', 'Answer to: A woman is peeling a potato');
    expect(calibrating.compared).toEqual({ team: 'a', band: 'test:words|same', agreed: true });
  });

  it('minSamples: 0 serves every verified hit above the threshold (no calibration)', async () => {
    const { second } = await round(on(0), 'Define entropy', 'define entropy', 'unused');
    expect(second).toMatchObject({ status: 'hit', layer: 'semantic' });
  });
});

describe('semantic: shadow', () => {
  it('never serves, even in a calibrated band, and keeps recording comparisons', async () => {
    const shadow = { ...on(1), semantic: 'shadow' } as EffectiveCache;
    await round(shadow, 'Explain photosynthesis', 'explain photosynthesis', 'Answer to: Explain photosynthesis');
    const { second, compared } = await round(shadow, 'Explain osmosis', 'explain osmosis', 'Answer to: Explain osmosis');
    expect(second.status).toBe('miss');
    expect(compared?.agreed).toBe(true);
    expect((await store.getCalibration('a'))[0]).toMatchObject({ samples: 2, agreed: 2 });
  });
});

describe('pieces', () => {
  it('bands by lower edge; nothing below 0.80', () => {
    expect(bandOf('e', 0.79)).toBeUndefined();
    expect(bandOf('e', 0.8)).toBe('e|0.800');
    expect(bandOf('e', 0.9499)).toBe('e|0.925');
    expect(bandOf('e', 1)).toBe('e|0.990');
    expect(bandOf('e', 0.65, true)).toBe('e|same');
    expect(bandOf('e', 0.59, true)).toBeUndefined();
  });

  it('a band serves with enough samples at the precision', () => {
    const p = { precision: 0.999, minSamples: 1000 };
    expect(bandServes(undefined, p)).toBe(false);
    expect(bandServes({ band: 'x', samples: 999, agreed: 999, costMicros: 0 }, p)).toBe(false);
    expect(bandServes({ band: 'x', samples: 1000, agreed: 999, costMicros: 0 }, p)).toBe(true);
    expect(bandServes({ band: 'x', samples: 1000, agreed: 998, costMicros: 0 }, p)).toBe(false);
  });

  it('answers agree when reworded, not when numbers, negation or content differ', () => {
    expect(answersAgree(answer('Water boils at 100 °C at sea level.'), answer('At sea level, water boils at 100 °C.'))).toBe(true);
    expect(answersAgree(answer('Water boils at 100 °C at sea level.'), answer('Water boils at 90 °C at sea level.'))).toBe(false);
    expect(answersAgree(answer('Yes, the store is open on Sunday.'), answer('No, the store is not open on Sunday.'))).toBe(false);
    expect(answersAgree(answer('Paris is the capital of France.'), answer('Berlin is the capital of Germany.'))).toBe(false);
  });
});

describe('the dashboard view', () => {
  it('shows per band the comparisons, the wrong ones and whether the band serves under the team policy', async () => {
    const config = testConfig({ extra: { cache: { mode: 'on', semantic: 'on', similarityThreshold: 0.9, calibration: { minSamples: 2, precision: 0.99 } } } });
    await store.recordCalibration('t', 'e|0.950', true, 1500);
    await store.recordCalibration('t', 'e|0.950', true, 2500);
    await store.recordCalibration('t', 'e|0.800', true);
    await store.recordCalibration('t', 'e|0.800', true);
    await store.recordCalibration('t', 'e|0.900', false, 700);
    const team = { id: 't', name: 't', allowedModels: ['*'], budgets: [], policy: {}, createdAt: 0, updatedAt: 0 };
    const view = await calibrationView(store, config, team as never);
    expect(view).toMatchObject({ team: 't', semantic: 'on', similarityThreshold: 0.9 });
    expect(view.bands).toEqual([
      { embedder: 'e', band: '0.800', samples: 2, agreed: 2, wrong: 0, agreement: 1, wouldSaveMicros: 0, serving: false }, // below the threshold
      { embedder: 'e', band: '0.900', samples: 1, agreed: 0, wrong: 1, agreement: 0, wouldSaveMicros: 700, serving: false },
      { embedder: 'e', band: '0.950', samples: 2, agreed: 2, wrong: 0, agreement: 1, wouldSaveMicros: 4000, serving: true },
    ]);
    expect(view.totals).toEqual({ samples: 5, wrong: 1, wouldSaveMicros: 4700 });
    const shadowTeam = { ...team, policy: { cache: { semantic: 'shadow' } } };
    expect((await calibrationView(store, config, shadowTeam as never)).bands.every((b) => !b.serving)).toBe(true);
  });
});

describe('calibration counts kept by an earlier version', () => {
  it('a SQLite table without the cost column gets it in place; its counts stay', async () => {
    const { default: Database } = await import('better-sqlite3');
    const { createSqliteCalibration } = await import('../../src/state/sqlite/sqlite-calibration.js');
    const db = new Database(':memory:');
    db.exec('CREATE TABLE cache_calibration (team_id TEXT NOT NULL, band TEXT NOT NULL, samples INTEGER NOT NULL, agreed INTEGER NOT NULL, PRIMARY KEY (team_id, band)) WITHOUT ROWID');
    db.exec("INSERT INTO cache_calibration VALUES ('t', 'e|0.950', 3, 2)");
    const calib = createSqliteCalibration(db);
    calib.recordCalibration('t', 'e|0.950', true, 250);
    expect(calib.getCalibration('t')).toEqual([{ band: 'e|0.950', samples: 4, agreed: 3, costMicros: 250 }]);
    db.close();
  });
});
