/**
 * The semantic cache's calibration for one team, as the dashboard API and page show it (GET /dashboard/api/semantic):
 * per similarity band the shadow comparisons made, how many agreed, what the compared calls cost (what serving
 * them would have saved) and whether the team's policy lets the band serve — i.e. what serving would save and how
 * often it would have been wrong. The same per replica in the metrics (`gateway_cache_semantic_*`).
 */
import { BAND_EDGES, bandServes, SAME_WORDING_BAND } from '../cache/calibration.js';
import { resolvePolicy } from '../config/policy.js';
import type { GatewayConfig } from '../config/schema.js';
import type { StateStore, Team } from '../state/state-store.js';

export interface CalibrationView {
  team: string;
  semantic: 'on' | 'shadow' | 'off';
  similarityThreshold: number;
  calibration: { precision: number; minSamples: number };
  bands: { embedder: string; band: string; samples: number; agreed: number; wrong: number; agreement: number | null; wouldSaveMicros: number; serving: boolean }[];
  /** All bands together: comparisons, how many would have been wrong, what serving them would have saved. */
  totals: { samples: number; wrong: number; wouldSaveMicros: number };
}

export async function calibrationView(store: StateStore, config: GatewayConfig, team: Team): Promise<CalibrationView> {
  const { cache } = resolvePolicy(config, team.policy);
  const rows = await store.getCalibration(team.id);
  const totals = { samples: 0, wrong: 0, wouldSaveMicros: 0 };
  for (const r of rows) {
    totals.samples += r.samples;
    totals.wrong += r.samples - r.agreed;
    totals.wouldSaveMicros += r.costMicros;
  }
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
        wouldSaveMicros: r.costMicros,
        // Serving needs the layer on, some of the band at or above the threshold (the same-wording band serves
        // from its own floor), and the band's evidence.
        serving: cache.mode === 'on' && cache.semantic === 'on' && (edge === SAME_WORDING_BAND || upperEdge(Number(edge)) > cache.similarityThreshold) && bandServes(r, cache.calibration),
      };
    }),
    totals,
  };
}

/** Where the band starting at `lower` ends (the next edge, or 1 for the top band, which includes 1). */
function upperEdge(lower: number): number {
  const next = BAND_EDGES.find((e) => e > lower + 1e-9);
  return next ?? 1.000001;
}
