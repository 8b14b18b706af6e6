/**
 * Anthropic Messages (`POST /v1/messages`): Claude Code and `@anthropic-ai/sdk` clients. See
 * docs/ingress-messages.md for what each target supports and what is refused.
 */
import type { Ingress } from '../types.js';
import { decodeMessagesRequest } from './decode.js';
import { createMessagesEncoder } from './encode.js';
import { toAnthropicError } from './errors.js';

export const messagesIngress: Ingress = {
  api: 'messages',
  decode: decodeMessagesRequest,
  encoder: createMessagesEncoder,
  errorEnvelope: toAnthropicError,
};
