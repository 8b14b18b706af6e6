/**
 * Span attribute names. The GenAI ones are the OpenTelemetry GenAI semantic conventions, still "incubating":
 * the semantic-conventions package asks users to copy incubating names rather than import them (its
 * `/incubating` entry point may change in a minor release), so they are spelled here. Stable names come from
 * the package.
 */
export {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';

export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** The provider kind (`openai`, `anthropic`): the current name of the attribute… */
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** …and the name it had before semantic conventions 1.37, which many backends still key their GenAI views on. */
export const GEN_AI_SYSTEM = 'gen_ai.system';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';

/** The gateway's own attributes (never a key secret, prompt or completion text). */
export const GATEWAY = {
  requestId: 'gateway.request_id',
  api: 'gateway.api',
  stream: 'gateway.stream',
  team: 'gateway.team',
  keyId: 'gateway.key_id',
  costUsd: 'gateway.cost_usd',
  cache: 'gateway.cache',
  guardActions: 'gateway.guard_actions',
  guardBlocks: 'gateway.guard_blocks',
  errorCode: 'gateway.error_code',
  attempts: 'gateway.attempts',
  provider: 'gateway.provider',
  attemptErrorClass: 'gateway.attempt.error_class',
  attemptQueueMs: 'gateway.attempt.queue_ms',
  attemptWaitMs: 'gateway.attempt.wait_ms',
  attemptProbe: 'gateway.attempt.breaker_probe',
} as const;
