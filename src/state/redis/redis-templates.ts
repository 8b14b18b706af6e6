/**
 * Prompt templates in Redis: one hash per template (`rev`, `json`) and a set of ids, all under the `{tpl}` hash
 * tag so the compare-and-set script and the delete touch one Cluster slot. Every replica reads the same hash, so
 * a publish applies to the next request everywhere.
 */
import type { PromptTemplate } from '../templates.js';
import { createScript, type Redis, type RedisLike } from './redis-client.js';

const SAVE = `
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'json', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`;

export function createRedisTemplates(client: RedisLike, prefix: string) {
  const key = (id: string) => `${prefix}{tpl}:t:${encodeURIComponent(id)}`;
  const ids = `${prefix}{tpl}:ids`;
  const r = client as Redis;
  const save = createScript(client, SAVE);
  return {
    async getTemplate(id: string): Promise<PromptTemplate | undefined> {
      const json = await r.hget(key(id), 'json');
      return json ? (JSON.parse(json) as PromptTemplate) : undefined;
    },
    async listTemplates(): Promise<PromptTemplate[]> {
      const members = (await r.smembers(ids)).sort();
      if (members.length === 0) return [];
      const p = r.pipeline();
      for (const id of members) p.hget(key(id), 'json');
      const rows = (await p.exec()) ?? [];
      const out: PromptTemplate[] = [];
      for (const [err, json] of rows) {
        if (err) throw err;
        if (typeof json === 'string') out.push(JSON.parse(json) as PromptTemplate);
      }
      return out;
    },
    async saveTemplate(t: PromptTemplate, expectedRevision: number): Promise<boolean> {
      const done = await save.run([key(t.id), ids], [expectedRevision, t.revision, JSON.stringify(t), t.id]);
      return Number(done) === 1;
    },
    async deleteTemplate(id: string): Promise<boolean> {
      // One slot ({tpl}), so MULTI is valid in a Cluster too.
      const res = await r.multi().del(key(id)).srem(ids, id).exec();
      return Number(res?.[0]?.[1] ?? 0) === 1;
    },
  };
}
