/**
 * `gateway_mcp_tool_calls_total{server,tool,outcome}` and `gateway_mcp_tool_call_seconds{server,outcome}`,
 * registered on the gateway's own registry (one set per Metrics instance, so test gateways never share series).
 * Server names come from the config (bounded); tool names from upstream servers, capped like model names.
 */
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../metrics/index.js';
import { createBoundedLabel } from '../metrics/bounded-labels.js';
import { perRegistry } from '../metrics/per-registry.js';

export type ToolCallOutcome =
  | 'ok'
  | 'tool_error'
  | 'upstream_error'
  | 'timeout'
  | 'cancelled'
  | 'result_blocked'
  | 'not_allowed'
  | 'guard_blocked'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'state_unavailable';

export interface McpMetrics {
  recordToolCall(server: string, tool: string, outcome: ToolCallOutcome, seconds: number): void;
}

const TOOL_LABELS_MAX = 500;
export function mcpMetrics(metrics: Metrics | undefined): McpMetrics | undefined {
  return metrics && metricsOf(metrics);
}

const metricsOf = perRegistry((metrics): McpMetrics => {
  const registers = [metrics.registry];
  const calls = new Counter({
    name: 'gateway_mcp_tool_calls_total',
    help: 'MCP tool calls through /mcp by server, tool and outcome (refusals included).',
    labelNames: ['server', 'tool', 'outcome'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'gateway_mcp_tool_call_seconds',
    help: 'MCP tool call latency through /mcp (guards, limits and the upstream call), by server and outcome.',
    labelNames: ['server', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const toolLabel = createBoundedLabel(TOOL_LABELS_MAX);
  return {
    recordToolCall(server, tool, outcome, seconds) {
      calls.labels(server, toolLabel(`${server}__${tool}`) === 'other' ? 'other' : tool, outcome).inc();
      latency.labels(server, outcome).observe(seconds);
    },
  };
});
