/**
 * Prompt templates in Redis: one hash per template (`rev`, `json`) and a set of ids, all under the `{tpl}` hash
 * tag so the compare-and-set script and the delete touch one Cluster slot. Every replica reads the same hash, so
 * a publish applies to the next request everywhere. Usage: one hash per template (`<day>|<version>|<team>|<n,p,c,m,e>`
 * → count), HINCRBY so concurrent replicas stay exact.
 */
import { byDayVersionTeam, dayOf, type PromptTemplate, type TemplateUsage, type TemplateUsageRow } from '../templates.js';
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
  const usageKey = (id: string) => `${prefix}{tpl}:u:${encodeURIComponent(id)}`;
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
      const res = await r.multi().del(key(id)).srem(ids, id).del(usageKey(id)).exec();
      return Number(res?.[0]?.[1] ?? 0) === 1;
    },
    async recordTemplateUsage(u: TemplateUsage): Promise<void> {
      const f = `${dayOf(u.at)}|${u.version}|${encodeURIComponent(u.teamId)}|`;
      const k = usageKey(u.template);
      await r.multi().hincrby(k, `${f}n`, 1).hincrby(k, `${f}p`, u.promptTokens).hincrby(k, `${f}c`, u.completionTokens)
        .hincrby(k, `${f}m`, u.costMicros).hincrby(k, `${f}e`, u.error ? 1 : 0).exec();
    },
    async queryTemplateUsage(template: string, q: { from?: number; to?: number } = {}): Promise<TemplateUsageRow[]> {
      const from = dayOf(q.from ?? 0);
      const to = q.to ?? Number.MAX_SAFE_INTEGER;
      const rows = new Map<string, TemplateUsageRow>();
      for (const [field, value] of Object.entries(await r.hgetall(usageKey(template)))) {
        const [day, version, team, metric] = field.split('|') as [string, string, string, string];
        if (Number(day) < from || Number(day) >= to) continue;
        const id = `${day}|${version}|${team}`;
        let row = rows.get(id);
        if (!row) rows.set(id, (row = { day: Number(day), version: Number(version), teamId: decodeURIComponent(team), requests: 0, promptTokens: 0, completionTokens: 0, costMicros: 0, errors: 0 }));
        const n = Number(value);
        if (metric === 'n') row.requests = n;
        else if (metric === 'p') row.promptTokens = n;
        else if (metric === 'c') row.completionTokens = n;
        else if (metric === 'm') row.costMicros = n;
        else row.errors = n;
      }
      return [...rows.values()].sort(byDayVersionTeam);
    },
  };
}
