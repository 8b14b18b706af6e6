/**
 * The semantic cache's calibration for one team, as the dashboard API shows it (GET /dashboard/api/semantic):
 * per similarity band the shadow comparisons made, how many agreed, and whether the team's policy lets the band
 * serve — i.e. how often serving would have been wrong. What serving would have saved is in the metrics
 * (`gateway_cache_semantic_would_save_usd_total`).
 */
import { BAND_EDGES, bandServes } from '../cache/calibration.js';
import { resolvePolicy } from '../config/policy.js';
import type { GatewayConfig } from '../config/schema.js';
import type { StateStore, Team } from '../state/state-store.js';

export interface CalibrationView {
  team: string;
  semantic: 'on' | 'shadow' | 'off';
  similarityThreshold: number;
  calibration: { precision: number; minSamples: number };
  bands: { embedder: string; band: string; samples: number; agreed: number; wrong: number; agreement: number | null; serving: boolean }[];
}

export async function calibrationView(store: StateStore, config: GatewayConfig, team: Team): Promise<CalibrationView> {
  const { cache } = resolvePolicy(config, team.policy);
  const rows = await store.getCalibration(team.id);
  return {
    team: team.id,
    semantic: cache.mode === 'off' ? 'off' : cache.mode === 'shadow' && cache.semantic !== 'off' ? 'shadow' : cache.semantic,
    similarityThreshold: cache.similarityThreshold,
    calibration: cache.calibration,
    bands: rows.map((r) => {
      const cut = r.band.lastIndexOf('|');
      const edge = r.band.slice(cut + 1);
      return {
        embedder: r.band.slice(0, cut),
        band: edge,
        samples: r.samples,
        agreed: r.agreed,
        wrong: r.samples - r.agreed,
        agreement: r.samples ? r.agreed / r.samples : null,
        // Serving needs the layer on, some of the band at or above the threshold, and the band's evidence.
        serving: cache.mode === 'on' && cache.semantic === 'on' && upperEdge(Number(edge)) > cache.similarityThreshold && bandServes(r, cache.calibration),
      };
    }),
  };
}

/** Where the band starting at `lower` ends (the next edge, or 1 for the top band, which includes 1). */
function upperEdge(lower: number): number {
  const next = BAND_EDGES.find((e) => e > lower + 1e-9);
  return next ?? 1.000001;
}
