/**
 * Teams and keys the config file declares are applied from the file at every start and reload (bootstrap.ts):
 * an admin API edit to them would be reverted silently. The API refuses those edits with 409 `config_managed`
 * (naming the file as the place to change them) and marks such objects `managedBy: "config"` in its answers.
 */
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey } from '../state/types.js';

export type ManagedBy = 'config' | 'api';

export function teamManagedBy(config: GatewayConfig, teamId: string): ManagedBy {
  return Object.hasOwn(config.teams, teamId) ? 'config' : 'api';
}

/** A config key: its id, or the id derived from it when the file's secret changed (`<id>.<8 hex of the hash>`). */
export function keyManagedBy(config: GatewayConfig, key: Pick<ApiKey, 'id'>): ManagedBy {
  const declared = config.keys.some((k) => (k.key || k.sha256) && (key.id === k.id || new RegExp(`^${escape(k.id)}\\.[0-9a-f]{8}$`).test(key.id)));
  return declared ? 'config' : 'api';
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function refuseConfigTeam(config: GatewayConfig, teamId: string, what: string): void {
  if (teamManagedBy(config, teamId) === 'config') {
    throw new GatewayError(
      'config_managed',
      `Team '${teamId}' is declared in the config file, which is applied again at every start and reload: ${what} there (teams.${teamId}), or manage teams created through this API.`,
      { param: 'id' },
    );
  }
}

export function refuseConfigKey(config: GatewayConfig, key: ApiKey, what: string): void {
  if (keyManagedBy(config, key) === 'config') {
    throw new GatewayError(
      'config_managed',
      `Key '${key.id}' is declared in the config file, which is applied again at every start and reload: ${what} there (keys[].id ${key.id.split('.')[0]}). Revoking it here works.`,
      { param: 'id' },
    );
  }
}
