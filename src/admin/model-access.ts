/**
 * Model allow-lists given to the admin API, checked against the model catalog the config defines: a typo
 * (`gtp-4o`) is refused naming the entry and the known names, and a key may only name models its team allows
 * (a key limited to a model its team refuses could never make a request).
 */
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';

/** Public names: model-table entries and routes. */
const publicNames = (config: GatewayConfig) => [...Object.keys(config.models), ...Object.keys(config.routes ?? {})];

/** Throws 400 `invalid_request` (param `allowedModels.<i>`) for an entry that names nothing the catalog has. */
export function checkAllowedModels(config: GatewayConfig, list: string[], param = 'allowedModels'): void {
  const names = publicNames(config);
  list.forEach((entry, i) => {
    if (entry === '*' || names.includes(entry)) return;
    const slash = entry.indexOf('/');
    if (slash > 0 && Object.hasOwn(config.providers, entry.slice(0, slash)) && slash < entry.length - 1) return; // provider/* or provider/<upstream id>
    const shown = names.slice(0, 30).join(', ') + (names.length > 30 ? ', …' : '');
    const how = `Known models: ${shown || 'none'}; or '*', or '<provider>/*' / '<provider>/<model>' with a configured provider (${Object.keys(config.providers).join(', ')}).`;
    throw new GatewayError('invalid_request', `Unknown model '${entry}' in ${param}[${i}]: it is not in the model catalog. ${how}`, { param: `${param}.${i}` });
  });
}

/** Which provider serves a public name (model table, a route's first target, or a `provider/…` name). */
function providerOf(config: GatewayConfig, name: string): string | undefined {
  const m = config.models[name];
  if (m) return m.provider;
  const slash = name.indexOf('/');
  if (slash > 0 && Object.hasOwn(config.providers, name.slice(0, slash))) return name.slice(0, slash);
  const route = (config.routes as Record<string, unknown> | undefined)?.[name];
  const first = JSON.stringify(route ?? null).match(/"(?:provider|model)":"([^"]+)"/);
  return first ? (config.models[first[1]]?.provider ?? first[1]) : undefined;
}

/**
 * Throws 400 when a key's entry names a model its team's list refuses. `*` and `provider/*` on a key narrow
 * to whatever the team allows, so they are always usable.
 */
export function checkKeyModelsWithinTeam(config: GatewayConfig, keyList: string[], teamList: string[], teamId: string): void {
  keyList.forEach((entry, i) => {
    if (entry === '*' || entry.endsWith('/*') || teamList.includes('*') || teamList.includes(entry)) return;
    const provider = providerOf(config, entry);
    if (provider && teamList.includes(`${provider}/*`)) return;
    throw new GatewayError(
      'invalid_request',
      `The key may not be limited to '${entry}': team '${teamId}' does not allow it (team allowedModels: ${teamList.join(', ') || 'none'}), so the key could never use it. Allow it for the team first, or pick one of the team's models.`,
      { param: `allowedModels.${i}` },
    );
  });
}
