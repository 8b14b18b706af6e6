/** /admin/keys: create (the secret is returned once), list, get, update, revoke, rotate, budget status. */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { displayPrefix, generateKey, hashKey } from '../auth/keys.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, KeyUpdate, StateStore } from '../state/state-store.js';
import { presentBudgetStatus, presentKey, toStoredBudget } from './present.js';
import type { RouteTable } from './route-table.js';
import { keyCreate, keyListQuery, keyPatch, keyRotate, parseTime } from './schemas.js';
import { requireTeam, type AdminContext } from './team-routes.js';
import { keyManagedBy, refuseConfigKey } from './config-managed.js';
import { checkAllowedModels, checkKeyModelsWithinTeam } from './model-access.js';
import { accessOf, checkTeam, checkWithinTeam, forbidden, scopedTeam } from './roles.js';

const newKeyId = () => `key_${randomBytes(8).toString('hex')}`;

async function requireKey(store: StateStore, id: string): Promise<ApiKey> {
  const key = await store.getKey(id);
  if (!key) throw new GatewayError('not_found', `No key with id '${id}'.`, { param: 'id' });
  return key;
}

/** Revokes now, also when a rotation grace period had scheduled a later revocation. */
async function revokeNow(store: StateStore, key: ApiKey, now: number): Promise<void> {
  if (key.revokedAt === undefined) await store.revokeKey(key.id, now);
  // `revokeKey` keeps the first revocation time; a pending (future) one is brought forward explicitly.
  else if (key.revokedAt > now) await store.updateKey(key.id, { revokedAt: now });
}

export function registerKeyRoutes(routes: RouteTable, { store, config, audit }: AdminContext): void {
  const tag = 'keys';
  const show = (k: ApiKey, now = Date.now()) => ({ ...presentKey(k, now), managedBy: keyManagedBy(config(), k) });
  /** A key's own model list: every entry in the catalog, and allowed by its team. */
  const checkKeyModels = async (teamId: string, list: string[] | null | undefined) => {
    if (!list) return;
    checkAllowedModels(config(), list);
    checkKeyModelsWithinTeam(config(), list, (await requireTeam(store, teamId)).allowedModels, teamId);
  };
  /** The key, if this caller may see it: another team's key is 404 to a team admin. */
  const visibleKey = async (request: FastifyRequest, id: string) => {
    const key = await requireKey(store, id);
    const access = accessOf(request);
    if (access.role === 'team_admin' && key.teamId !== access.team) throw new GatewayError('not_found', `No key with id '${id}'.`, { param: 'id' });
    return key;
  };
  routes.add({ method: 'GET', url: '/keys', summary: 'List keys (secrets are never shown)', tag, query: keyListQuery, teamAdmin: true }, async ({ query, request }) => {
    const now = Date.now();
    const keys = await store.listKeys(scopedTeam(accessOf(request), query.team));
    const shown = query.includeRevoked === 'false' ? keys.filter((k) => k.revokedAt === undefined || k.revokedAt > now) : keys;
    return { object: 'list', data: shown.map((k) => show(k, now)) };
  });

  routes.add({ method: 'POST', url: '/keys', summary: 'Create a key; the response carries the secret, shown this once', tag, body: keyCreate, status: 201, teamAdmin: true }, async ({ body, request }) => {
    const access = accessOf(request);
    checkTeam(access, body.team, 'team');
    const team = await requireTeam(store, body.team);
    if (access.role === 'team_admin' && body.role === 'team_admin') throw forbidden('issue team admin keys');
    checkWithinTeam(access, team, body.budgets.map(toStoredBudget), body.rateLimits);
    await checkKeyModels(body.team, body.allowedModels);
    const id = body.id ?? newKeyId();
    if (await store.getKey(id)) throw new GatewayError('already_exists', `A key with id '${id}' already exists.`, { param: 'id' });
    const secret = generateKey();
    const now = Date.now();
    const key: ApiKey = {
      id,
      teamId: body.team,
      name: body.name ?? id,
      prefix: displayPrefix(secret),
      hash: hashKey(secret),
      createdAt: now,
      expiresAt: body.expiresAt !== undefined ? parseTime(body.expiresAt) : undefined,
      budgets: body.budgets.map(toStoredBudget),
      rateLimits: body.rateLimits,
      allowedModels: body.allowedModels,
      ...(body.role === 'team_admin' ? { role: 'team_admin' as const } : {}),
    };
    await store.createKey(key);
    await audit(request, { action: 'key.create', target: { type: 'key', id }, team: key.teamId, after: presentKey(key, now) });
    return { ...show(key, now), secret };
  });

  routes.add({ method: 'GET', url: '/keys/:id', summary: 'Get a key', tag, teamAdmin: true }, async ({ params, request }) => show(await visibleKey(request, params.id)));

  routes.add({ method: 'PATCH', url: '/keys/:id', summary: "Update a key's name, expiry, budgets, rate limits, models, role", tag, body: keyPatch, teamAdmin: true }, async ({ params, body, request }) => {
    const current = await visibleKey(request, params.id);
    const access = accessOf(request);
    if (access.role === 'team_admin' && body.role !== undefined && body.role !== (current.role ?? 'member')) throw forbidden("change a key's role");
    checkWithinTeam(access, await requireTeam(store, current.teamId), body.budgets?.map(toStoredBudget), body.rateLimits);
    // The file re-applies a config key's name, expiry, budgets and rate limits; its model list is the API's.
    if (body.name !== undefined || body.expiresAt !== undefined || body.budgets !== undefined || body.rateLimits !== undefined) {
      refuseConfigKey(config(), current, 'change its name, expiry, budgets or rate limits');
    }
    await checkKeyModels(current.teamId, body.allowedModels);
    const patch: KeyUpdate = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.expiresAt !== undefined) patch.expiresAt = body.expiresAt === null ? undefined : parseTime(body.expiresAt);
    if (body.budgets !== undefined) patch.budgets = body.budgets.map(toStoredBudget);
    if (body.rateLimits !== undefined) patch.rateLimits = body.rateLimits ?? undefined;
    if (body.allowedModels !== undefined) patch.allowedModels = body.allowedModels ?? undefined;
    if (body.role !== undefined) patch.role = body.role;
    const updated = await store.updateKey(params.id, patch);
    if (!updated) throw new GatewayError('not_found', `No key with id '${params.id}'.`, { param: 'id' });
    await audit(request, { action: 'key.update', target: { type: 'key', id: current.id }, team: current.teamId, before: presentKey(current), after: presentKey(updated) });
    return show(updated);
  });

  const revoke = async ({ params, request }: { params: Record<string, string>; request: FastifyRequest }) => {
    const key = await visibleKey(request, params.id);
    const now = Date.now();
    await revokeNow(store, key, now);
    const after = await requireKey(store, params.id);
    // A repeat (already revoked) changed nothing: not an audit entry.
    if (key.revokedAt === undefined || key.revokedAt > now) {
      await audit(request, { action: 'key.revoke', target: { type: 'key', id: key.id }, team: key.teamId, before: presentKey(key, now), after: presentKey(after, now) });
    }
    return show(after, now);
  };
  routes.add({ method: 'POST', url: '/keys/:id/revoke', summary: 'Revoke a key now (idempotent)', tag, teamAdmin: true }, revoke);
  routes.add({ method: 'DELETE', url: '/keys/:id', summary: 'Revoke a key now (keys are kept for the audit trail)', tag, teamAdmin: true }, revoke);

  routes.add({ method: 'POST', url: '/keys/:id/rotate', summary: 'New secret for the same key (id, budgets, usage kept); the old secret works graceSeconds more', tag, body: keyRotate, status: 201, teamAdmin: true }, async ({ params, body, request }) => {
    const old = await visibleKey(request, params.id);
    const now = Date.now();
    if (old.revokedAt !== undefined && old.revokedAt <= now) throw new GatewayError('invalid_request', `Key '${old.id}' is revoked; create a new key instead.`, { param: 'id' });
    // Rotating an expired key would hand out a secret that is dead on arrival.
    if (old.expiresAt !== undefined && old.expiresAt <= now) {
      throw new GatewayError('invalid_request', `Key '${old.id}' is expired; extend it (PATCH expiresAt) or create a new key.`, { param: 'id' });
    }
    refuseConfigKey(config(), old, 'its secret is in the file; put a new secret (or sha256) there and reload');
    const secret = generateKey();
    // The replaced secret never outlives a revocation already scheduled (a grace period of an earlier rotation
    // is cut to this one's: only the secret just replaced keeps working, an earlier one stops now).
    const previousUntil = Math.min(now + body.graceSeconds * 1000, old.revokedAt ?? Infinity);
    const key = await store.rotateKeySecret(old.id, { hash: hashKey(secret), prefix: displayPrefix(secret), previousUntil });
    if (!key) throw new GatewayError('not_found', `No key with id '${params.id}'.`, { param: 'id' });
    await audit(request, { action: 'key.rotate', target: { type: 'key', id: key.id }, team: key.teamId, before: presentKey(old, now), after: presentKey(key, now) });
    return { ...show(key, now), secret, previousSecretValidUntil: new Date(previousUntil).toISOString() };
  });

  routes.add({ method: 'GET', url: '/keys/:id/budget-status', summary: "The key's own budgets: spent, held, remaining, reset time", tag, teamAdmin: true }, async ({ params, request }) => {
    const key = await visibleKey(request, params.id);
    const status = await store.getBudgetStatus([{ scope: `key:${key.id}`, budgets: key.budgets }], { teamId: key.teamId });
    return { object: 'list', data: status.map(presentBudgetStatus) };
  });
}
