/**
 * One name per model in spend views: a request for `anthropic/claude-haiku-4-5` and one for `claude-haiku-4-5`
 * reach the same model, so they are one row. A `provider/<id>` name becomes the public name of the model-table
 * entry with that provider and that public name or upstream id; other pass-through names stay as they are.
 */
import type { GatewayConfig } from '../config/schema.js';

export function createModelNamer(config: Pick<GatewayConfig, 'models'>): (name: string) => string {
  const byUpstream = new Map<string, string>();
  for (const [name, m] of Object.entries(config.models)) {
    byUpstream.set(`${m.provider}/${name}`, name);
    if (!byUpstream.has(`${m.provider}/${m.upstream}`)) byUpstream.set(`${m.provider}/${m.upstream}`, name);
  }
  return (name) => (name.includes('/') ? (byUpstream.get(name) ?? name) : name);
}
