/** A JSON object: not null, not an array (what request bodies and their nested settings must be). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
