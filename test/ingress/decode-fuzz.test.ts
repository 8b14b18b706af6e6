/**
 * Bad input to every ingress decoder is a 4xx GatewayError, never another exception (which the pipeline would
 * answer as a 500): random JSON shapes in every field of otherwise plausible bodies.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { chatIngress } from '../../src/ingress/chat/index.js';
import { embeddingsIngress } from '../../src/ingress/embeddings/index.js';
import { messagesIngress } from '../../src/ingress/messages/index.js';
import { responsesIngress } from '../../src/ingress/responses/index.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { countPromptTokens } from '../../src/tokens/prompt-tokens.js';
import { toAnthropicRequest } from '../../providers/anthropic/request.js';
import { nativeBody } from '../../src/core/passthrough.js';
import { ProviderError } from '../../providers/types.js';

const rand = seededRandom(19);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
function junk(depth = 0): unknown {
  const leaves = [null, true, 0, -1, 1.5, '', 'x', 'user', 'text', 'function', 'message', 'tool_use', 'image', 'function_call', '2023-06-01'];
  if (depth > 3 || rand() < 0.4) return pick(leaves);
  if (rand() < 0.5) return Array.from({ length: Math.floor(rand() * 3) }, () => junk(depth + 1));
  const keys = ['type', 'role', 'content', 'text', 'name', 'input', 'output', 'call_id', 'id', 'source', 'tool_use_id', 'arguments', 'format', 'effort', 'image_url'];
  return Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [pick(keys), junk(depth + 1)]));
}

const bases: Record<string, Record<string, unknown>> = {
  messages: { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], system: 's', tools: [], tool_choice: { type: 'auto' }, stop_sequences: ['x'], metadata: {}, thinking: { type: 'disabled' } },
  responses: { model: 'm', input: [{ role: 'user', content: 'hi' }], instructions: 'i', tools: [], tool_choice: 'auto', text: { format: { type: 'text' } }, reasoning: {}, max_output_tokens: 100 },
  embeddings: { model: 'm', input: 'hi', encoding_format: 'float', dimensions: 8 },
  chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
};
const ingresses = { messages: messagesIngress, responses: responsesIngress, embeddings: embeddingsIngress, chat: chatIngress };

describe('ingress decoders on hostile input', () => {
  for (const [name, ingress] of Object.entries(ingresses)) {
    it(`${name}: every failure is a 4xx GatewayError`, () => {
      const base = bases[name];
      for (let i = 0; i < 3000; i++) {
        const body: Record<string, unknown> = structuredClone(base);
        const key = pick(Object.keys(base));
        body[key] = junk();
        if (rand() < 0.3) body[pick(Object.keys(base))] = junk();
        try {
          const req = ingress.decode(body, { 'anthropic-version': pick(['2023-06-01', 'x', undefined as unknown as string]) });
          // What the stages and adapters then do with it: count, translate, rebuild the native body.
          countPromptTokens(req, 'gpt-4o');
          if (req.passthrough) nativeBody(req.passthrough, req.messages);
          try {
            toAnthropicRequest(req, { provider: 'anthropic', upstreamModel: 'claude-haiku-4-5' });
          } catch (err) {
            if (!(err instanceof ProviderError && err.errorClass === 'bad_request')) throw err;
          }
        } catch (err) {
          if (!(err instanceof GatewayError) || err.status >= 500) throw new Error(`${name} threw ${String(err)} for ${JSON.stringify(body)}`);
          expect(err.status).toBeLessThan(500);
        }
      }
    });
  }
});
