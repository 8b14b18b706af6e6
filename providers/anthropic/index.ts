/**
 * Adapter for Anthropic's Messages API (`POST {baseUrl}/v1/messages`). Translates the neutral (OpenAI-shaped)
 * request to Anthropic's wire format and the answer back, over the shared undici transport.
 */
import { createTransport, readBody } from '../transport.js';
import type { ProviderAdapter, ProviderConfig } from '../types.js';
import { anthropicHttpError } from './errors.js';
import { toAnthropicBody, type AnthropicRequestOptions } from './request.js';
import { fromAnthropicResponse } from './response.js';
import { anthropicChunkStream } from './stream.js';
import { splitStops } from './stop.js';
import { ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_VERSION } from './wire.js';
import { fromNativeResponse, isAnthropicNative, nativeChunkStream, nativeRequest } from './native.js';

export type AnthropicAdapterOptions = AnthropicRequestOptions;
export { ANTHROPIC_DEFAULT_BASE_URL } from './wire.js';

/**
 * The base URL is the origin like the official SDK's ANTHROPIC_BASE_URL (`https://api.anthropic.com`); one that
 * already ends in `/v1` is accepted too, so configs copied from OpenAI-style providers do not hit `/v1/v1`.
 */
export function createAnthropicAdapter(config: ProviderConfig, options: AnthropicAdapterOptions = {}): ProviderAdapter {
  const baseUrl = config.baseUrl || ANTHROPIC_DEFAULT_BASE_URL;
  const transport = createTransport({ ...config, baseUrl });
  const path = /\/v1\/?$/.test(new URL(baseUrl).pathname) ? 'messages' : 'v1/messages';
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
  if (config.apiKey) headers['x-api-key'] = config.apiKey;
  const streamHeaders = { ...headers, accept: 'text/event-stream' };

  return {
    config,
    async complete(req, target, signal, trace) {
      if (isAnthropicNative(req)) {
        const native = nativeRequest(req, target, false, headers);
        const res = await transport.post(path, native.body, native.headers, signal, trace);
        const text = await readBody(res, signal, config.name);
        if (res.status >= 300) throw anthropicHttpError(config.name, res, text);
        return fromNativeResponse(config.name, text);
      }
      const body = toAnthropicBody({ ...req, stream: false }, target, options);
      const res = await transport.post(path, body, headers, signal, trace);
      const text = await readBody(res, signal, config.name);
      if (res.status >= 300) throw anthropicHttpError(config.name, res, text);
      return fromAnthropicResponse(config.name, text, splitStops(req.body.stop).local);
    },
    async stream(req, target, signal, trace) {
      if (isAnthropicNative(req)) {
        const native = nativeRequest(req, target, true, streamHeaders);
        const res = await transport.post(path, native.body, native.headers, signal, trace);
        if (res.status >= 300) throw anthropicHttpError(config.name, res, await readBody(res, signal, config.name));
        return nativeChunkStream(config.name, res, signal);
      }
      const body = toAnthropicBody({ ...req, stream: true }, target, options);
      const res = await transport.post(path, body, streamHeaders, signal, trace);
      if (res.status >= 300) throw anthropicHttpError(config.name, res, await readBody(res, signal, config.name));
      return anthropicChunkStream(config.name, res, signal, splitStops(req.body.stop).local);
    },
    connections: () => transport.connections(),
    close: () => transport.close(),
  };
}
