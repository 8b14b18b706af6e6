/**
 * The per-request cost the client sees (`x-gateway-cost-usd`), priced exactly as settlement prices it (the target
 * that served, its model-table price), so the header, the usage chunk, the log line and the ledger agree.
 */
import type { Usage } from '../core/types.js';
import { costMicros, microsToUsd } from '../usage/pricing.js';
import { priceOf } from './admission.js';
import type { RequestContext } from './context.js';
import type { ResponseSink } from './response-sink.js';

export const COST_HEADER = 'x-gateway-cost-usd';

/** Micro-dollars `usage` costs at the serving target's price; 0 without a target, usage or price. */
export function requestCostMicros(ctx: RequestContext, usage: Usage | undefined): number {
  const price = ctx.target ? priceOf(ctx.target) : undefined;
  return usage && price ? costMicros(usage, price) : 0;
}

/** Sets the cost header (USD, 6 decimals) for an answer whose usage is known before its headers are sent. */
export function setCostHeader(ctx: RequestContext, sink: ResponseSink, usage: Usage | undefined): void {
  sink.setHeader(COST_HEADER, microsToUsd(requestCostMicros(ctx, usage)));
}
