/**
 * Adapter for OpenAI and every OpenAI-compatible server (vLLM, Ollama, LM Studio, Azure-style proxies…),
 * chosen by base URL.
 */
import { createTransport, readBody } from '../transport.js';
import type { ProviderAdapter, ProviderConfig } from '../types.js';
import { openAIHttpError } from './errors.js';
import { toOpenAIBody } from './request.js';
import { fromOpenAIResponse } from './response.js';
import { openAIChunkStream } from './stream.js';
import { embed, isEmbeddings } from './embeddings.js';
import { completeResponses, isResponsesRequest, speaksResponses, streamResponses } from './responses.js';

export function createOpenAIAdapter(config: ProviderConfig & { responsesApi?: boolean }): ProviderAdapter {
  const transport = createTransport(config);
  const auth: Record<string, string> = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  const streamHeaders = { ...auth, accept: 'text/event-stream' };
  const responses = speaksResponses(config);

  return {
    config,
    async complete(req, target, signal, trace) {
      if (isEmbeddings(req)) return embed(config.name, transport, auth, req, target, signal, trace);
      if (responses && isResponsesRequest(req)) return completeResponses(config.name, transport, auth, req, target, signal, trace);
      const res = await transport.post('chat/completions', toOpenAIBody(req, target), auth, signal, trace);
      const text = await readBody(res, signal, config.name);
      if (res.status >= 300) throw openAIHttpError(config.name, res, text);
      return fromOpenAIResponse(config.name, text);
    },
    async stream(req, target, signal, trace) {
      if (responses && isResponsesRequest(req)) return streamResponses(config.name, transport, streamHeaders, req, target, signal, trace);
      const res = await transport.post('chat/completions', toOpenAIBody(req, target), streamHeaders, signal, trace);
      if (res.status >= 300) throw openAIHttpError(config.name, res, await readBody(res, signal, config.name));
      return openAIChunkStream(config.name, res, signal);
    },
    connections: () => transport.connections(),
    close: () => transport.close(),
  };
}
