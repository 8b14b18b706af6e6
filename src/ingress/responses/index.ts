/**
 * OpenAI Responses (`POST /v1/responses`): the OpenAI SDK's responses.create / responses.stream, the Agents SDK,
 * Codex CLI. See docs/ingress-responses.md for what each target supports and what is refused.
 */
import type { Ingress } from '../types.js';
import { decodeResponsesRequest } from './decode.js';
import { createResponsesEncoder } from './encode.js';
import { expandResponsesPrompt } from '../../templates/expand.js';

export const responsesIngress: Ingress = {
  api: 'responses',
  // A stored response (store absent means stored, at OpenAI) or one continuing another must reach the provider.
  cacheable: (req) => {
    const b = req.passthrough?.body as { store?: unknown; previous_response_id?: unknown } | undefined;
    return b?.store === false && b.previous_response_id == null;
  },
  decode: decodeResponsesRequest,
  expandPrompt: expandResponsesPrompt,
  encoder: createResponsesEncoder,
};
