/**
 * The seam between wire formats and the pipeline (design.md "Several wire formats, one pipeline"). An ingress
 * decodes its request into the neutral ChatRequest and encodes the pipeline's neutral answers (response, chunks,
 * errors) back into its own wire format. Pipeline stages only ever see the neutral shapes and this interface.
 */
import type { GatewayError } from '../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, Usage } from '../core/types.js';
import type { ResponseSink } from '../pipeline/response-sink.js';
import type { TemplateEnv } from '../templates/expand.js';

/** Which API a request came in through: a dimension of the log line and metrics. */
export type Api = 'chat' | 'messages' | 'responses' | 'embeddings';

/** Rewrites one whole model-written text (stage 8: PII redaction, pseudonym restoring); `json` for tool arguments. */
export type TextTransform = (text: string, json: boolean) => string;

/** Writes one request's answer in the ingress' wire format. Created per request, before the body is decoded. */
export interface AnswerEncoder {
  /** The decoded request (called once decoding succeeded; before any other method but `fail`). */
  begin(req: ChatRequest): void;
  /**
   * A whole answer, already transformed by stage 8. `text` is that transform, for format-owned passthrough data
   * (e.g. a same-format provider's native body) that the neutral transform could not reach.
   */
  json(response: ChatResponse, text?: TextTransform): void;
  /** Starts a stream (status 200 and headers go with the first frame); `text` as for `json`. */
  start(text?: TextTransform): void;
  /** One neutral chunk, already transformed by stage 8. A returned promise is awaited before the next chunk (backpressure). */
  chunk(chunk: ChatChunk): Promise<void> | void;
  /** A stream that completed; `usage` is the request's final usage (the gateway's count where none was reported). */
  end(usage: Usage): Promise<void>;
  /** An error: a status and envelope before the answer started, a final error frame after. */
  fail(err: GatewayError): void;
}

/** One wire format at the edge. */
export interface Ingress {
  readonly api: Api;
  /** False (for every request, or this one) when the response cache must not answer: the cache stage is skipped. */
  readonly cacheable?: boolean | ((req: ChatRequest) => boolean);
  /** Wire body (+ headers) → neutral request. Throws GatewayError (4xx) for what the format or the gateway refuses. */
  decode(body: unknown, headers: Record<string, string | string[] | undefined>): ChatRequest;
  /** Renders a managed prompt template the body names (`prompt`) into the body, before `decode` (docs/templates.md). */
  expandPrompt?(body: unknown, env: TemplateEnv): Promise<unknown>;
  encoder(sink: ResponseSink): AnswerEncoder;
  /** The format's error envelope, for errors answered before the pipeline runs (auth, body parsing); default OpenAI's. */
  errorEnvelope?(err: GatewayError): unknown;
}
