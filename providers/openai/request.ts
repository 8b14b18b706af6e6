import type { ChatRequest } from '../../src/core/types.js';
import type { Target } from '../types.js';
import { refuseUntranslatable } from '../../src/core/passthrough.js';

/**
 * Neutral request → OpenAI wire body. The neutral request *is* an OpenAI body, so this only swaps in the
 * upstream model id and, for streams, always asks for the usage chunk: provider-reported usage is what we
 * bill, and the pipeline hides that chunk from clients that did not ask for it.
 */
export function toOpenAIBody(req: ChatRequest, target: Target): string {
  refuseUntranslatable(req, 'openai');
  const body: Record<string, unknown> = { ...req.body, model: target.upstreamModel };
  if (req.stream) body.stream_options = { ...(req.body.stream_options as object | undefined), include_usage: true };
  return JSON.stringify(body);
}
