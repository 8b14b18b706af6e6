/** /admin/teams: CRUD, budgets, rate limits, allowed models and guard/cache policy of a team. */
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { StateStore, Team } from '../state/state-store.js';
import { keyManagedBy, refuseConfigTeam, teamManagedBy } from './config-managed.js';
import { checkAllowedModels } from './model-access.js';
import type { AuditRecorder } from './audit-trail.js';
import { accessOf, checkTeam } from './roles.js';
import { presentBudgetStatus, presentKey, presentTeam, toStoredBudget } from './present.js';
import type { RouteTable } from './route-table.js';
import { budgetInput, policyInput, rateLimitsInput, teamCreate, teamPatch } from './schemas.js';
import { z } from 'zod';

export async function requireTeam(store: StateStore, id: string): Promise<Team> {
  const team = await store.getTeam(id);
  if (!team) throw new GatewayError('not_found', `No team with id '${id}'.`, { param: 'id' });
  return team;
}

/** What the admin routes share: the store, and the live config (read per call: a reload replaces it). */
export interface AdminContext {
  store: StateStore;
  config: () => GatewayConfig;
  /** Records an admin change in the audit trail (audit-trail.ts). */
  audit: AuditRecorder;
}

export function registerTeamRoutes(routes: RouteTable, { store, config, audit }: AdminContext): void {
  const tag = 'teams';
  const show = (t: Team) => ({ ...presentTeam(t), managedBy: teamManagedBy(config(), t.id) });
  /** The team, if the API may change it: 404 unknown, 409 declared in the config file. */
  const editable = async (id: string, what: string) => {
    const team = await requireTeam(store, id);
    refuseConfigTeam(config(), id, what);
    return team;
  };
  routes.add({ method: 'GET', url: '/teams', summary: 'List teams (a team admin: its own)', tag, teamAdmin: true }, async ({ request }) => {
    const access = accessOf(request);
    const teams = access.role === 'admin' ? await store.listTeams() : [await requireTeam(store, access.team)];
    return { object: 'list', data: teams.map(show) };
  });

  routes.add({ method: 'POST', url: '/teams', summary: 'Create a team', tag, body: teamCreate, status: 201 }, async ({ body, request }) => {
    checkAllowedModels(config(), body.allowedModels);
    if (await store.getTeam(body.id)) throw new GatewayError('already_exists', `A team with id '${body.id}' already exists.`, { param: 'id' });
    const now = Date.now();
    const team: Team = {
      id: body.id,
      name: body.name ?? body.id,
      allowedModels: body.allowedModels,
      budgets: body.budgets.map(toStoredBudget),
      rateLimits: body.rateLimits,
      policy: body.policy,
      createdAt: now,
      updatedAt: now,
    };
    await store.upsertTeam(team);
    await audit(request, { action: 'team.create', target: { type: 'team', id: team.id }, team: team.id, after: presentTeam(team) });
    return show(team);
  });

  routes.add({ method: 'GET', url: '/teams/:id', summary: 'Get a team', tag, teamAdmin: true }, async ({ params, request }) => {
    checkTeam(accessOf(request), params.id);
    return show(await requireTeam(store, params.id));
  });

  routes.add({ method: 'PATCH', url: '/teams/:id', summary: 'Update a team (only the fields given)', tag, body: teamPatch }, async ({ params, body, request }) => {
    const team = await editable(params.id, 'change it');
    if (body.allowedModels) checkAllowedModels(config(), body.allowedModels);
    const next: Team = {
      ...team,
      name: body.name ?? team.name,
      allowedModels: body.allowedModels ?? team.allowedModels,
      budgets: body.budgets ? body.budgets.map(toStoredBudget) : team.budgets,
      rateLimits: body.rateLimits === null ? undefined : (body.rateLimits ?? team.rateLimits),
      policy: body.policy ?? team.policy,
      updatedAt: Date.now(),
    };
    await store.upsertTeam(next);
    await audit(request, { action: 'team.update', target: { type: 'team', id: team.id }, team: team.id, before: presentTeam(team), after: presentTeam(next) });
    return show(next);
  });

  routes.add({ method: 'DELETE', url: '/teams/:id', summary: 'Delete a team and all its keys', tag }, async ({ params, request }) => {
    const team = await editable(params.id, 'remove it');
    if (!(await store.deleteTeam(params.id))) throw new GatewayError('not_found', `No team with id '${params.id}'.`, { param: 'id' });
    await audit(request, { action: 'team.delete', target: { type: 'team', id: team.id }, team: team.id, before: presentTeam(team) });
    return { id: params.id, object: 'team', deleted: true };
  });

  // Focused setters: the same effect as PATCH with one field, for scripts that own just that setting.
  const setter = <S extends z.ZodType>(path: string, summary: string, schema: S, apply: (t: Team, v: z.output<S>) => Team) =>
    routes.add({ method: 'PUT', url: `/teams/:id/${path}`, summary, tag, body: schema }, async ({ params, body, request }) => {
      const team = await editable(params.id, `set its ${path}`);
      const next = { ...apply(team, body as z.output<S>), updatedAt: Date.now() };
      if (path === 'allowed-models') checkAllowedModels(config(), next.allowedModels);
      await store.upsertTeam(next);
      await audit(request, { action: `team.update`, target: { type: 'team', id: team.id }, team: team.id, before: presentTeam(team), after: presentTeam(next) });
      return show(next);
    });
  setter('budgets', "Replace the team's budgets", z.object({ budgets: z.array(budgetInput) }).strict(), (t, v) => ({
    ...t,
    budgets: v.budgets.map(toStoredBudget),
  }));
  setter('rate-limits', "Replace the team's rate limits ({} removes them)", rateLimitsInput, (t, v) => ({
    ...t,
    rateLimits: v.rpm === undefined && v.tpm === undefined ? undefined : v,
  }));
  setter('allowed-models', "Replace the team's allowed models", z.object({ allowedModels: z.array(z.string().min(1)) }).strict(), (t, v) => ({
    ...t,
    allowedModels: v.allowedModels,
  }));
  setter('policy', "Replace the team's guard and cache policy", policyInput, (t, v) => ({ ...t, policy: v }));

  routes.add({ method: 'GET', url: '/teams/:id/keys', summary: "List a team's keys", tag, teamAdmin: true }, async ({ params, request }) => {
    checkTeam(accessOf(request), params.id);
    await requireTeam(store, params.id);
    const now = Date.now();
    return { object: 'list', data: (await store.listKeys(params.id)).map((k) => ({ ...presentKey(k, now), managedBy: keyManagedBy(config(), k) })) };
  });

  routes.add({ method: 'GET', url: '/teams/:id/budget-status', summary: "The team's budgets: spent, held, remaining, reset time", tag, teamAdmin: true }, async ({ params, request }) => {
    checkTeam(accessOf(request), params.id);
    const team = await requireTeam(store, params.id);
    const status = await store.getBudgetStatus([{ scope: `team:${team.id}`, budgets: team.budgets }], { teamId: team.id });
    return { object: 'list', data: status.map(presentBudgetStatus) };
  });
}
