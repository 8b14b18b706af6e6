import type { GatewayConfig, ModelConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, Team } from '../state/state-store.js';

/** One upstream model on one provider, with what the gateway knows about it. */
export interface ResolvedTarget {
  readonly provider: string;
  readonly upstreamModel: string;
  /** Model table entry (price, context window, capabilities); undefined for unlisted `provider/model` names. */
  readonly info?: ModelConfig;
}

/** A public model name resolved to the targets that may serve it, in the route's preference order. */
export interface ResolvedModel {
  readonly name: string;
  readonly targets: readonly ResolvedTarget[];
}

/**
 * The models a team may call. Pure and immutable: built once per config; `resolve` is a map lookup.
 * Throws 404 `model_not_found` for unknown names and 403 `model_not_allowed` for names the team may not use.
 */
export interface ModelCatalog {
  resolve(name: string, team: Team, key?: ApiKey): ResolvedModel;
  /** Public model names the team may use (for GET /v1/models). */
  list(team: Team, key?: ApiKey): { id: string; ownedBy: string }[];
  /** Price and limits of an upstream model, if the model table lists it. */
  info(provider: string, upstreamModel: string): ModelConfig | undefined;
}

export function createModelCatalog(config: GatewayConfig): ModelCatalog {
  const byName = new Map<string, ResolvedModel>();
  const byUpstream = new Map<string, ModelConfig>();
  for (const [name, m] of Object.entries(config.models)) {
    byName.set(name, { name, targets: [{ provider: m.provider, upstreamModel: m.upstream, info: m }] });
    byUpstream.set(`${m.provider}/${m.upstream}`, m);
  }

  // A key's own list, when present, narrows its team's.
  const matches = (patterns: string[], name: string, provider: string) =>
    patterns.some((p) => p === '*' || p === name || p === `${provider}/*`);
  const allowed = (team: Team, key: ApiKey | undefined, name: string, provider: string) =>
    matches(team.allowedModels, name, provider) && (!key?.allowedModels || matches(key.allowedModels, name, provider));

  return {
    resolve(name, team, key) {
      const listed = byName.get(name);
      if (listed) {
        if (!allowed(team, key, name, listed.targets[0].provider)) throw notAllowed(name);
        return listed;
      }
      const slash = name.indexOf('/');
      const provider = slash > 0 ? name.slice(0, slash) : '';
      const upstreamModel = name.slice(slash + 1);
      if (!provider || !config.providers[provider] || !upstreamModel) {
        throw new GatewayError('model_not_found', `The model '${name}' does not exist or you do not have access to it.`, {
          param: 'model',
        });
      }
      if (!allowed(team, key, name, provider)) throw notAllowed(name);
      return { name, targets: [{ provider, upstreamModel, info: byUpstream.get(name) }] };
    },
    list(team, key) {
      return [...byName.values()]
        .filter((m) => allowed(team, key, m.name, m.targets[0].provider))
        .map((m) => ({ id: m.name, ownedBy: m.targets[0].provider }));
    },
    info: (provider, upstreamModel) => byUpstream.get(`${provider}/${upstreamModel}`),
  };
}

const notAllowed = (name: string) =>
  new GatewayError('model_not_allowed', `Your team is not allowed to use the model '${name}'.`, { param: 'model' });
