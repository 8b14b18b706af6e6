/**
 * Keys and teams from the config file are written to the state store at start (and on reload) by applyConfig.
 * Several replicas apply the same file to one Redis at the same time, so every interleaving of their reads and
 * writes must leave the configured key working.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/auth/keys.js';
import { applyConfig } from '../../src/bootstrap.js';
import { configSchema } from '../../src/config/schema.js';
import { createSqliteStateStore, type StateStore } from '../../src/state/index.js';

const SECRET = 'gw-config-key-0123456789abcdefghijklmnopqrstuv';
const config = (secret: string) =>
  configSchema.parse({
    providers: { openai: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x' } },
    teams: { default: { allowedModels: ['*'] } },
    keys: [{ id: 'svc', team: 'default', key: secret }],
  });
const logger = pino({ level: 'silent' });

let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('keys from the config file', () => {
  it('a replica that read "no such key" just before another created it keeps that key (does not revoke it)', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(config(SECRET), store, logger); // the replica that won the race
    // The other replica's read by hash happened before that create: it sees nothing, then finds the id taken.
    const getKeyByHash = store.getKeyByHash;
    let stale = true;
    store.getKeyByHash = async (hash) => (stale ? ((stale = false), undefined) : getKeyByHash(hash));
    await applyConfig(config(SECRET), store, logger);
    store.getKeyByHash = getKeyByHash;
    const key = await store.getKeyByHash(hashKey(SECRET));
    expect(key).toMatchObject({ id: 'svc' });
    expect(key?.revokedAt).toBeUndefined();
  });

  it('a changed secret revokes the old key and serves the new one', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(config(SECRET), store, logger);
    await applyConfig(config(`${SECRET}-new`), store, logger);
    expect((await store.getKeyByHash(hashKey(SECRET)))?.revokedAt).toBeDefined();
    const next = await store.getKeyByHash(hashKey(`${SECRET}-new`));
    expect(next?.revokedAt).toBeUndefined();
    expect(next?.id).toMatch(/^svc\./);
  });
});

describe('a config key whose team changes in the file', () => {
  const inTeam = (team: string, secret: string) =>
    configSchema.parse({
      providers: { openai: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x' } },
      teams: { default: { allowedModels: ['*'] }, other: { allowedModels: ['*'] } },
      keys: [{ id: 'svc', team, key: secret }],
    });

  it('with the same secret: stays in its team, and every apply says so in a warning naming both teams', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(inTeam('default', SECRET), store, logger);
    const lines: Record<string, unknown>[] = [];
    const capture = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    await applyConfig(inTeam('other', SECRET), store, capture);
    expect((await store.getKeyByHash(hashKey(SECRET)))?.teamId).toBe('default');
    const warning = lines.find((l) => l.keyId === 'svc');
    expect(warning).toMatchObject({ team: 'default', configTeam: 'other' });
    expect(String(warning?.msg)).toMatch(/cannot change team.*new secret/);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('with a new secret: the new key serves the new team and the old secret is revoked', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(inTeam('default', SECRET), store, logger);
    await applyConfig(inTeam('other', `${SECRET}-moved`), store, logger);
    const moved = await store.getKeyByHash(hashKey(`${SECRET}-moved`));
    expect(moved?.teamId).toBe('other');
    expect(moved?.revokedAt).toBeUndefined();
    expect((await store.getKeyByHash(hashKey(SECRET)))?.revokedAt).toBeDefined();
  });
});

describe('config key secrets changed more than once', () => {
  it('a secret replaced twice stops working: only the secret the file names now is active', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    const [a, b, c] = [SECRET, `${SECRET}-b`, `${SECRET}-c`];
    await applyConfig(config(a), store, logger);
    await applyConfig(config(b), store, logger);
    await applyConfig(config(c), store, logger);
    // B was the file's secret until the last apply: it must be revoked like A, not left working.
    expect((await store.getKeyByHash(hashKey(a)))?.revokedAt).toBeDefined();
    expect((await store.getKeyByHash(hashKey(b)))?.revokedAt).toBeDefined();
    expect((await store.getKeyByHash(hashKey(c)))?.revokedAt).toBeUndefined();
    const active = (await store.listKeys('default')).filter((k) => k.revokedAt === undefined);
    expect(active.map((k) => k.hash)).toEqual([hashKey(c)]);
  });

  it('a replica restarting with a stale file (its secret already replaced) does not revoke the newer secret', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(config(SECRET), store, logger);
    await applyConfig(config(`${SECRET}-b`), store, logger);
    await applyConfig(config(SECRET), store, logger); // an old pod restarts with the old env
    expect((await store.getKeyByHash(hashKey(`${SECRET}-b`)))?.revokedAt).toBeUndefined();
  });

  it('does not revoke an admin-created key whose id merely starts with the config id', async () => {
    store = await createSqliteStateStore({ path: ':memory:' });
    await applyConfig(config(SECRET), store, logger);
    await store.createKey({ id: 'svc.admin', teamId: 'default', name: 'x', prefix: 'gw-x', hash: hashKey('gw-admin-made'), createdAt: Date.now(), budgets: [] });
    await applyConfig(config(`${SECRET}-b`), store, logger);
    await applyConfig(config(`${SECRET}-c`), store, logger);
    expect((await store.getKey('svc.admin'))?.revokedAt).toBeUndefined();
  });
});
