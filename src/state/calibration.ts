/**
 * Semantic cache calibration counts (issue 23.2): per team and similarity band, how many shadow comparisons of a
 * would-be semantic hit with the provider's fresh answer were made and how many agreed. Shared by both stores.
 */
export interface CalibrationBand {
  /** Band id as the cache names it: embedder id and lower edge, e.g. `local:Xenova/all-MiniLM-L6-v2:q8|0.950`. */
  band: string;
  samples: number;
  agreed: number;
  /** What the compared calls cost (micro-USD): what serving these hits would have saved. */
  costMicros: number;
}
