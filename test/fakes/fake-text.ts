/**
 * Deterministic content shared by the fake upstream's two wire formats: what to answer, how many tokens it
 * "costs", and plausible tool arguments. Pure functions, no I/O; cheap enough for the benchmark's hot path.
 */

/** Text pieces of the canned answer; each piece is one "token" and one streamed delta. */
export function answerPieces(model: string, lastText: string, images: number): string[] {
  const suffix = images > 0 ? ` [${images} image${images > 1 ? 's' : ''}]` : '';
  const text = `Hello from ${model}: ${lastText}${suffix}`;
  return text.match(/\s*\S+/g) ?? [text];
}

/** A stable prompt-token figure: about four characters per token, like the real tokenizers on English. */
export function promptTokens(payload: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(payload ?? '').length / 4));
}

/** Cuts pieces at the first stop sequence; returns the kept pieces and whether a stop matched. */
export function applyStop(pieces: string[], stops: readonly string[]): { pieces: string[]; stopped: string | null } {
  if (stops.length === 0) return { pieces, stopped: null };
  const text = pieces.join('');
  let cut = -1;
  let stopped: string | null = null;
  for (const s of stops) {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0 && (cut < 0 || at < cut)) [cut, stopped] = [at, s];
  }
  if (cut < 0) return { pieces, stopped: null };
  const kept = text.slice(0, cut);
  return { pieces: kept.match(/\s*\S+/g) ?? [], stopped };
}

interface JsonSchemaLike {
  type?: string | string[];
  properties?: Record<string, JsonSchemaLike>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchemaLike;
}

/** Arguments that satisfy a (simple) JSON schema: every property filled with a typed placeholder. */
export function sampleArguments(schema: unknown, hint: string): Record<string, unknown> {
  const s = (schema ?? {}) as JsonSchemaLike;
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(s.properties ?? {})) out[name] = sampleValue(prop, hint);
  return out;
}

function sampleValue(s: JsonSchemaLike, hint: string): unknown {
  if (s.enum && s.enum.length > 0) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleArguments(s, hint);
    case 'null':
      return null;
    default:
      return hint || 'value';
  }
}

/** Splits a JSON string in two halves so streamed tool arguments arrive as real fragments. */
export function fragments(json: string): string[] {
  if (json.length < 2) return [json];
  const mid = Math.ceil(json.length / 2);
  return [json.slice(0, mid), json.slice(mid)];
}

/** Which tools a request forces, in OpenAI terms (Anthropic's choices are mapped by the caller). */
export function forcedTools(
  toolNames: string[],
  choice: { kind: 'auto' | 'none' | 'required' | 'named'; name?: string },
  parallel: boolean,
): string[] {
  if (toolNames.length === 0) return [];
  if (choice.kind === 'named') return toolNames.includes(choice.name ?? '') ? [choice.name as string] : [];
  if (choice.kind !== 'required') return [];
  return parallel ? toolNames : toolNames.slice(0, 1);
}
