/**
 * Usage ledger on Redis: one hash per hour × team × key × model × provider × api × end user × tag (HINCRBY per metric), an index set per
 * hour, and a sorted set of hours that have data (for range queries and pruning). Queries read the hours in
 * range and aggregate in process — admin/dashboard traffic, never on the request path.
 */
import { hourOf } from '../periods.js';
import { USAGE_METRICS, USAGE_WRITE_RETENTION_MS, type UsageQuery, type UsageRecord, type UsageRow } from '../types.js';
import { aggregateUsage, matchesFilters, type HourlyRow } from '../usage-aggregate.js';
import { RECORD_USAGE } from './lua-misc.js';
import { createScript, type RedisLike } from './redis-client.js';
import type { RedisKeys } from './redis-keys.js';

export function createRedisUsage(client: RedisLike, k: RedisKeys) {
  const record = createScript(client, RECORD_USAGE);

  const readHour = async (hour: number, q: UsageQuery): Promise<HourlyRow[]> => {
    const members = await client.smembers(k.usageIndex(hour));
    const wanted = members
      // Rows written before the api, end-user and tag dimensions have 4 entries: chat, no end user, no tag.
      .map((m) => ({ m, d: JSON.parse(m) as [string, string, string, string, string?, string?, string?] }))
      .map(({ m, d }) => ({ m, dims: { teamId: d[0], keyId: d[1], model: d[2], provider: d[3], api: d[4] ?? 'chat', endUser: d[5] ?? '', tag: d[6] ?? '' } }))
      .filter(({ dims }) => matchesFilters(q, dims));
    return Promise.all(
      wanted.map(async ({ m, dims }) => {
        const vals = await client.hmget(k.usageRow(hour, m), ...USAGE_METRICS);
        const row = { hour, ...dims } as HourlyRow;
        USAGE_METRICS.forEach((name, i) => (row[name] = Number(vals[i] ?? 0)));
        return row;
      }),
    );
  };

  return {
    async recordUsage(r: UsageRecord) {
      const hour = hourOf(r.at);
      const dims = JSON.stringify([r.teamId, r.keyId, r.model, r.provider, r.api ?? 'chat', r.endUser ?? '', r.tag ?? '']);
      const args: (string | number)[] = [dims, r.writeId ?? '', USAGE_WRITE_RETENTION_MS];
      for (const m of USAGE_METRICS) if (r[m]) args.push(m, r[m]);
      // Two slots ({u:hour} and the hours set): two commands, sent in one auto-pipelined batch.
      await Promise.all([
        record.run([k.usageRow(hour, dims), k.usageIndex(hour), k.usageWrites(hour)], args),
        client.zadd(k.usageHours, hour, String(hour)),
      ]);
    },
    async queryUsage(q: UsageQuery): Promise<UsageRow[]> {
      const hours = (await client.zrangebyscore(k.usageHours, hourOf(q.from), `(${q.to}`)).map(Number);
      const rows = (await Promise.all(hours.map((h) => readHour(h, q)))).flat();
      return aggregateUsage(q, rows);
    },
    async pruneUsage(before: number): Promise<number> {
      const hours = (await client.zrangebyscore(k.usageHours, '-inf', `(${before}`)).map(Number);
      let removed = 0;
      for (const hour of hours) {
        const members = await client.smembers(k.usageIndex(hour));
        if (members.length) await client.del(...members.map((m) => k.usageRow(hour, m)));
        await client.del(k.usageIndex(hour), k.usageWrites(hour));
        await client.zrem(k.usageHours, String(hour));
        removed += members.length;
      }
      return removed;
    },
  };
}
