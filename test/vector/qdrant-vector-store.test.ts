/**
 * Runs the VectorStore contract against a real Qdrant when QDRANT_URL is set (e.g. `docker compose up qdrant`,
 * then `QDRANT_URL=http://127.0.0.1:6333 npx vitest run test/vector`). Skipped otherwise.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QdrantClient } from '@qdrant/js-client-rest';
import { createQdrantVectorStore, pointId } from '../../src/vector/qdrant-vector-store.js';
import { vectorStoreContract } from './vector-store.contract.js';

const url = process.env.QDRANT_URL;

describe('qdrant point ids', () => {
  it('are stable UUIDs, distinct per namespace', () => {
    const a = pointId('team-a', 'x');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointId('team-a', 'x')).toBe(a);
    expect(pointId('team-b', 'x')).not.toBe(a);
    expect(pointId('team-a\u0000', 'x')).not.toBe(pointId('team-a', '\u0000x'));
  });
});

if (url) {
  vectorStoreContract('qdrant', async () => {
    const collection = `contract-${randomUUID()}`;
    return {
      store: createQdrantVectorStore({ url, apiKey: process.env.QDRANT_API_KEY, collection }),
      cleanup: async () => {
        await new QdrantClient({ url, apiKey: process.env.QDRANT_API_KEY }).deleteCollection(collection);
      },
    };
  });
} else {
  describe.skip('VectorStore contract: qdrant (set QDRANT_URL to run)', () => {
    it('needs a Qdrant server', () => undefined);
  });
}
