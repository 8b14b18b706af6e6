/** Version logic over the store's compare-and-set: concurrent admins never lose a version or a publication. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStateStore, type StateStore } from '../../src/state/index.js';
import { createTemplateService } from '../../src/templates/template-service.js';

let store: StateStore;
beforeAll(async () => {
  store = await createSqliteStateStore({ path: ':memory:' });
});
afterAll(async () => {
  await store?.close();
});

describe('template service', () => {
  it('numbers 10 concurrent new versions 2..11 without losing one, and records every publication', async () => {
    const s = createTemplateService(store);
    await s.create({ id: 'busy', messages: [{ role: 'user', content: 'v1' }], publish: true }, 'admin-token:x');
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.addVersion('busy', { messages: [{ role: 'user', content: `from ${i}` }], publish: true }, `key:k${i}`)));
    const t = (await store.getTemplate('busy'))!;
    expect(t.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(t.versions.map((v) => v.messages[0]!.content)).size).toBe(11);
    expect(t.history.map((h) => h.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t.published).toBe(11);
    expect(t.revision).toBe(11);
  });

  it('publishing the published version is a no-op; the last 100 publications are kept and rollback still works', async () => {
    const s = createTemplateService(store);
    await s.create({ id: 'flip', messages: [{ role: 'user', content: 'a' }], publish: true }, undefined);
    await s.addVersion('flip', { messages: [{ role: 'user', content: 'b' }], publish: true }, undefined);
    for (let i = 0; i < 120; i++) await s.publish('flip', 2, undefined);
    expect((await store.getTemplate('flip'))!.history.map((h) => h.version)).toEqual([1, 2]);
    expect((await s.rollback('flip', undefined, undefined)).after.published).toBe(1);
    for (let i = 0; i < 120; i++) await s.publish('flip', (i % 2) + 1, undefined);
    const { after } = await s.rollback('flip', undefined, undefined);
    expect(after.history).toHaveLength(100);
    expect(after.published).toBe(1);
  });
});
