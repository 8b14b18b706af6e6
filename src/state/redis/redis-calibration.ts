/**
 * Calibration counts in Redis: one hash per team (`<band>|n` samples, `<band>|a` agreements, `<band>|c` what the
 * compared calls cost in micro-USD), in the team's hash
 * tag; HINCRBY keeps concurrent replicas exact without a script.
 */
import type { CalibrationBand } from '../calibration.js';
import type { Redis, RedisLike } from './redis-client.js';

export function createRedisCalibration(client: RedisLike, prefix: string) {
  const key = (teamId: string) => `${prefix}{t:${encodeURIComponent(teamId)}}:calib`;
  const r = client as Redis;
  return {
    async recordCalibration(teamId: string, band: string, agreed: boolean, costMicros = 0): Promise<void> {
      // One key, so MULTI is valid in a Cluster too.
      await r
        .multi()
        .hincrby(key(teamId), `${band}|n`, 1)
        .hincrby(key(teamId), `${band}|a`, agreed ? 1 : 0)
        .hincrby(key(teamId), `${band}|c`, Math.max(0, Math.round(costMicros)))
        .exec();
    },
    async getCalibration(teamId: string): Promise<CalibrationBand[]> {
      const all = await r.hgetall(key(teamId));
      const bands = new Map<string, CalibrationBand>();
      for (const [field, value] of Object.entries(all)) {
        const cut = field.lastIndexOf('|');
        const band = field.slice(0, cut);
        const row = bands.get(band) ?? { band, samples: 0, agreed: 0, costMicros: 0 };
        const what = field.slice(cut + 1);
        if (what === 'n') row.samples = Number(value);
        else if (what === 'a') row.agreed = Number(value);
        else if (what === 'c') row.costMicros = Number(value);
        bands.set(band, row);
      }
      return [...bands.values()].sort((a, b) => a.band.localeCompare(b.band));
    },
  };
}
