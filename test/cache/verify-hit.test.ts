/**
 * Issue 23.1: a semantic candidate is verified before it is served. The pairs below are the kinds that score
 * 0.97–0.99 with real sentence encoders (SICK contradictions) and must never be served for each other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_DEFAULTS, type EffectiveCache } from '../../src/config/policy.js';
import type { ChatResponse } from '../../src/core/types.js';
import { createResponseCache } from '../../src/cache/response-cache.js';
import { verifyHit } from '../../src/cache/verify-hit.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createEmbeddedVectorStore } from '../../src/vector/vector-store.js';
import { request, wordEmbedder } from '../routing/helpers.js';

describe('verifyHit', () => {
  const refused: [string, string, string][] = [
    ['There is no man playing a guitar', 'A man is playing a guitar', 'negation'],
    ["The boy isn't jumping into the pool", 'The boy is jumping into the pool', 'negation'],
    ['No other children are playing', 'Other children are playing', 'negation'],
    ['The man is jumping into the water', 'The man is jumping out of the water', 'relation'],
    ['Convert 15 miles to kilometres', 'Convert 50 miles to kilometres', 'number'],
    ['Name three primary colours', 'Name two primary colours', 'number'],
    ['Two men are playing the guitar', 'One man is playing the guitar', 'number'],
    ['Give me one', 'Give me two', 'number'],
    ['List all prime numbers below 20', 'List some prime numbers below 20', 'quantity'],
    ['What is the capital of Austria?', 'What is the capital of Australia?', 'entity'],
    ['Who founded Microsoft?', 'Who founded Apple?', 'entity'],
    ['The woman has very short hair', 'The woman has very long hair', 'content'],
    ['Summarize the following text: the sea is blue.', 'Translate the following text: the sea is blue.', 'content'],
    ['A dog is licking a baby', 'A baby is licking a dog', 'content'],
    ['The kangaroo is picking up the woman', 'The woman is picking up the kangaroo', 'content'],
    ['A woman is slicing an onion', 'A woman is slicing a potato', 'content'],
    ['A dog, which is black, is chasing a cat', 'A dog is chasing a black cat', 'content'],
    // The wordings read as adjectives and compounds keep what differs apart.
    ['A man is emptying a container made of plastic', 'A man is emptying a glass container', 'content'],
    ['Two men are fighting in a pen for cattle', 'Two men are fighting in a sheep pen', 'content'],
    ['A dog which is black and white is running', 'A black and brown dog is running', 'content'],
    ['A man is wearing a coat dyed in blue', 'A man is wearing a red coat', 'content'],
    ['A dog of large size is running', 'A dog of small size is running', 'content'],
    // Only inside a noun phrase: a bare subject of "is" is what is asked about.
    ['Is iron steel?', 'Is steel made from iron?', 'relation'],
    ['There is no dog running in the yard', 'A dog is running in the yard', 'negation'],
    // One stem for a verb's past forms, but not for a form that is another word too ("drunk").
    ['The man is drunk', 'The man is drinking', 'content'],
  ];
  it.each(refused)('refuses %j for %j (%s)', (query, stored, reason) => {
    expect(verifyHit(query, stored)).toEqual({ ok: false, reason });
    expect(verifyHit(stored, query).ok).toBe(false);
  });

  const accepted: [string, string][] = [
    ['How do I reset my password on the portal?', 'how do i reset my password on the portal'],
    ['A man is slicing a tomato', 'A tomato is being sliced by a man'],
    ['Four kids are doing backbends in the park', 'Four children are doing backbends in the park'],
    ['The man is slicing some potatoes', 'The man is slicing potatoes'],
    ["What's the capital of France?", 'What is the capital of France'],
    ['There is a dog running in the yard', 'A dog is running in the yard'],
    ['A dog, which is black, is chasing a cat', 'A black dog is chasing a cat'],
    ['One man is playing the guitar', 'A man is playing the guitar'], // "one" as a determiner is "a"
    ['A soccer player is scoring a goal', 'A player of soccer is scoring a goal'],
    ["What is France's capital?", 'What is the capital of France?'],
    ['A few ferrets are climbing out of the cage', 'Several ferrets are climbing out of the cage'],
    // Past forms the stemmer alone keeps apart from the -ing form: "-ied" verbs and irregular participles.
    ['A woman is frying something', 'Something is being fried by a woman'],
    ['A man is tying a shoe', 'A shoe is being tied by a man'],
    ['A man is drawing a picture', 'A picture is being drawn by a man'],
    // An instruction is served for itself, reworded: only generalising it is refused.
    ['Write a poem about a dog', 'write a poem about a dog.'],
    ['Water is flowing into a pool', 'Water is flowing slowly into a pool'], // a subject, not "Water the plants"
    // Wordings that say what one adjective or compound says.
    ['A man is emptying a plastic container', 'A man is emptying a container made of plastic'],
    ['Two men are fighting in a cattle pen', 'Two men are fighting in a pen for cattle'],
    ['A woman is using a sewing machine', 'A woman is using a machine made for sewing'],
    ['The girl is using an eye pencil', 'The girl is using a pencil for the eyes'],
    ['The cheerleaders are wearing black, pink and white uniforms', 'The cheerleaders are wearing uniforms which are black, pink and white'],
    ['Two toddlers are in a really small wagon', 'Two toddlers are in a wagon, which is really small'],
    ['A young lady is lying on the beach', 'A lady who looks young is lying on the beach'],
    ['A large dog is running on the grass', 'A dog of large size is running on the grass'],
    ['A man is wearing a blue coat', 'A man is wearing a coat dyed in blue'],
    ['A large green ball is hitting a potato', 'A large green colored ball is hitting a potato'],
    ['A man wearing a black shirt is laughing', 'A man wearing a dyed black shirt is laughing'],
  ];
  it.each(accepted)('accepts %j for %j', (query, stored) => {
    expect(verifyHit(query, stored).ok).toBe(true);
  });

  // Worded the same: the same content words in the same roles, up to articles, word forms, voice, word order and
  // contractions. The cache serves these from a lower similarity (SAME_WORDING_FLOOR); a synonym, a more general
  // word or a detail left out is not the same wording.
  it.each(accepted.filter(([q]) => !q.startsWith('Four kids') && !q.startsWith('Water is')))('reads %j and %j as worded the same', (query, stored) => {
    expect(verifyHit(query, stored)).toEqual({ ok: true, sameWording: true });
  });
  it.each([
    ['Four kids are doing backbends in the park', 'Four children are doing backbends in the park'], // a synonym
    ['Someone is playing with a toad', 'Someone is playing with a frog'], // one WordNet synset, not one word
    ['A person is cutting mushrooms', 'A person is cutting mushrooms with a knife'], // a detail left out
    ['A person is playing an instrument', 'A man is playing a guitar'], // more general words
    ['A child is holding a light ball', 'A child is holding a light colored ball'], // "light" is a shade, not a hue: a detail left out
  ])('accepts %j for %j, but not as worded the same', (query, stored) => {
    expect(verifyHit(query, stored)).toEqual({ ok: true, sameWording: false });
  });

  // The stored prompt may say more than the new one (a detail, a more specific word): it then entails the new one,
  // so its answer is an instance of what is asked. Never the other way round, never in questions or under a negation.
  const generalised: [string, string][] = [
    ['A person is playing an instrument', 'A man is playing a guitar'],
    ['A man is slicing a potato', 'A young man is slowly slicing a potato'],
    ['A woman is cutting an onion', 'A woman is cutting a white onion'],
    ['A person is cutting mushrooms', 'A person is cutting mushrooms with a knife'],
    ['A woman is cracking eggs into a bowl', 'Eggs are being cracked into a bowl by a woman'],
    ['Two cats are fighting each other', 'Two cats are playfully fighting each other'], // "each other" is no quantifier
    ['The horse is near the barrel', 'The horse is very near the barrel'], // an intensifier left out
    ['A man is carelessly holding a frog', 'A frog is being held carelessly by a man'],
    ['An old woman is shaking hands with a man', 'An woman that is old is shaking hands with a man'],
    ['A man is driving a vehicle', 'A man is driving a car'],
    ['A woman is cutting a potato', 'A woman is slicing a potato'],
  ];
  it.each(generalised)('accepts %j for the more specific stored %j', (query, stored) => {
    expect(verifyHit(query, stored).ok).toBe(true);
  });
  const notGeneralised: [string, string][] = [
    ['A man is playing a guitar', 'A person is playing an instrument'], // the new prompt is the more specific
    ['A young man is slicing a potato', 'A man is slicing a potato'],
    ['The horse is very near the barrel', 'The horse is near the barrel'],
    ['How do I feed a dog?', 'How do I feed a puppy?'], // a question is about exactly what it names
    ['Which food is good for a dog', 'Which food is good for a puppy'], // a question without its question mark
    ['Is a person playing an instrument', 'Is a man playing a guitar'],
    ['What is a good recipe for soup', 'What is a good recipe for tomato soup'],
    ['There is no person playing an instrument', 'There is no man playing a guitar'], // negation reverses it
    ['All animals are sleeping', 'All dogs are sleeping'],
    ['A man is holding a gun', 'A man is holding a fake gun'], // a fake gun is no gun
    ['A man is singing to a woman', 'A man is singing to a girl'], // a girl is not a woman
    ['A man is screaming', 'A man is crying'], // verbs' first synsets are too broad for synonyms
    ['A woman has a ball in the hand', 'A woman has a ball in the mitt'], // an untagged first sense
    ['A dog is chasing a cat', 'A dog is being chased by a black cat'], // roles swapped
    ['Who is the owner of the dog?', 'Who is the dog of the owner?'],
    ['Few people are dancing', 'Some people are dancing'], // "few" alone is not "a few"
    // An instruction's answer does exactly what it asks: a narrower instruction's answer is another answer.
    ['Write an email to my boss', 'Write an angry email to my boss'],
    ['Write a poem about a dog', 'Write a sad poem about a dog'],
    ['Describe the weather', 'Describe the weather in winter'],
    ['Write a poem about an animal', 'Write a poem about a dog'],
    ['Please name a colour', 'Please name a warm colour'],
    ['A man is drawing a picture', 'A man is taking a picture of a drawing'], // "taking" is a verb here, not a detail
    ['A man is waiting for a bus', 'A man is waiting with a bus'], // "for" after a verb is no compound
  ];
  it.each(notGeneralised)('refuses %j for the stored %j', (query, stored) => {
    expect(verifyHit(query, stored).ok).toBe(false);
  });

  it('reads all of a long prompt: a difference after any embedding window refuses it', () => {
    const doc = 'The river runs past the old mill and the town. '.repeat(200);
    expect(verifyHit(`${doc}Summarize it.`, `${doc}Translate it.`).ok).toBe(false);
    expect(verifyHit(`${doc}Summarize it.`, `${doc}Summarize it.`).ok).toBe(true);
  });
});

describe('in the cache', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const policy = { ...CACHE_DEFAULTS, mode: 'on', semantic: 'on', similarityThreshold: 0.5, calibration: { precision: 0.999, minSamples: 0 } } as EffectiveCache;
  const answer = (content: string) =>
    ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }] }) as ChatResponse;

  it('a similar but negated prompt is a miss that names the reason; a verified paraphrase is served', async () => {
    const m = new Map<string, string>();
    const store = { cacheGet: async (k: string) => m.get(k), cacheSet: async (k: string, v: string) => void m.set(k, v) } as unknown as StateStore;
    const dir = mkdtempSync(join(tmpdir(), 'verify-'));
    dirs.push(dir);
    const vectors = createEmbeddedVectorStore({ dir });
    const embedder = wordEmbedder(64);
    await vectors.init(64);
    const cache = createResponseCache({ store, vectors, embedder: () => embedder });
    const ask = (content: string) => request({ messages: [{ role: 'user', content }], temperature: 0 });
    const first = await cache.lookup(ask('Is a man playing a guitar in the park?'), policy, 'team:a', 'm', {});
    await cache.write(first, answer('Yes.'), policy);

    const negated = await cache.lookup(ask('Is no man playing a guitar in the park?'), policy, 'team:a', 'm', {});
    expect(negated).toMatchObject({ status: 'miss', shadow: { layer: 'semantic', rejected: 'negation' } });
    const para = await cache.lookup(ask('is a man playing a guitar in the park'), policy, 'team:a', 'm', {});
    expect(para).toMatchObject({ status: 'hit', layer: 'semantic' });
    await vectors.close();
  });
});
