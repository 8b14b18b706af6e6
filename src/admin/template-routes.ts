/**
 * /admin/templates: managed prompt templates (docs/templates.md) — create, version (drafts), publish, roll back,
 * preview a rendering, delete. The gateway admin manages global templates (usable by every team) and any team's;
 * a team admin key manages its own team's and reads the global ones; other teams' are 404 to it.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import type { PromptTemplate, TemplateVersion } from '../state/templates.js';
import { OPENAI_PROMPT_PREFIX } from '../templates/expand.js';
import { renderMessages } from '../templates/render.js';
import { createTemplateService, requireTemplate, requireVersion } from '../templates/template-service.js';
import { actorOf } from './audit-trail.js';
import { checkAllowedModels } from './model-access.js';
import { iso } from './present.js';
import type { RouteTable } from './route-table.js';
import { accessOf, checkTeam, forbidden, type Access } from './roles.js';
import { ID, parseTime } from './schemas.js';
import { microsToUsd } from '../usage/pricing.js';
import { requireTeam, type AdminContext } from './team-routes.js';

const templateId = ID.refine((id) => !id.startsWith(OPENAI_PROMPT_PREFIX), `ids starting with '${OPENAI_PROMPT_PREFIX}' are OpenAI's stored prompts`);
const message = z
  .object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.string().min(1).max(100_000) })
  .strict();
const params = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().min(16).max(1_000_000).optional().describe('Output token cap (max_completion_tokens / max_output_tokens)'),
  })
  .strict();
const versionFields = {
  messages: z.array(message).min(1).max(100).describe('Messages with {{variable}} placeholders, sent before the client\'s'),
  model: z.string().min(1).max(200).optional().describe('Default model (catalog name); a client\'s model wins'),
  params: params.optional().describe('Default parameters; a client\'s own values win'),
  note: z.string().max(1000).optional(),
};
export const templateCreate = z
  .object({
    id: templateId,
    team: ID.optional().describe('Owning team; absent: a global template (gateway admin only)'),
    description: z.string().max(1000).optional(),
    ...versionFields,
    publish: z.boolean().default(false).describe('Publish version 1 at once'),
  })
  .strict();
export const versionCreate = z.object({ ...versionFields, publish: z.boolean().default(false) }).strict();
export const versionPatch = z
  .object({ messages: versionFields.messages.optional(), model: z.string().min(1).max(200).nullable().optional(), params: params.nullable().optional(), note: versionFields.note })
  .strict();
export const templatePatch = z.object({ description: z.string().max(1000).nullable() }).strict();
export const rollbackInput = z.object({ version: z.number().int().positive().optional() }).strict();
export const renderInput = z.object({ version: z.number().int().positive().optional(), variables: z.record(z.string(), z.unknown()).default({}) }).strict();
const listQuery = z.object({ team: ID.optional() }).strict();
const time = z.string().refine((t) => Math.abs(parseTime(t)) <= 8.64e15, 'an ISO 8601 time or epoch milliseconds');
const usageQuery = z.object({ from: time.optional().describe('Inclusive (its UTC day); default 30 days ago'), to: time.optional().describe('Exclusive; default now') }).strict();

/** `draft` until first published; `published` while clients get it by default; `previous` after. */
const statusOf = (t: PromptTemplate, v: TemplateVersion) => (t.published === v.version ? 'published' : v.publishedAt === undefined ? 'draft' : 'previous');

function presentVersion(t: PromptTemplate, v: TemplateVersion) {
  return {
    version: v.version,
    status: statusOf(t, v),
    messages: v.messages,
    model: v.model ?? null,
    params: v.params ?? {},
    variables: v.variables,
    note: v.note ?? null,
    createdAt: iso(v.createdAt),
    createdBy: v.createdBy ?? null,
    publishedAt: iso(v.publishedAt),
  };
}

export function presentTemplate(t: PromptTemplate) {
  return {
    id: t.id,
    object: 'prompt_template',
    team: t.team ?? null,
    description: t.description ?? null,
    published: t.published ?? null,
    latest: Math.max(...t.versions.map((v) => v.version)),
    versions: t.versions.map((v) => presentVersion(t, v)),
    history: t.history.map((h) => ({ version: h.version, at: iso(h.at), by: h.by ?? null })),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

/** The audit trail's team of a template: its team, or `*` for a global one. */
const auditTeam = (t: PromptTemplate) => t.team ?? '*';

export function registerTemplateRoutes(routes: RouteTable, { store, config, audit }: AdminContext): void {
  const tag = 'templates';
  const service = createTemplateService(store);
  const author = (request: FastifyRequest) => actorOf(request).credential;
  const checkModel = (model: string | null | undefined, param: string) => {
    if (model == null) return;
    if (model.includes('*')) throw new GatewayError('invalid_request', `Invalid '${param}': a template's model is one model name, not a pattern.`, { param });
    checkAllowedModels(config(), [model], param);
  };
  /** The template as this caller may see it: another team's is 404 to a team admin. */
  const visible = async (access: Access, id: string) => {
    const t = requireTemplate(await store.getTemplate(id), id);
    if (access.role === 'team_admin' && t.team !== undefined && t.team !== access.team) throw new GatewayError('not_found', `No prompt template with id '${id}'.`, { param: 'id' });
    return t;
  };
  /** The template, if this caller may change it: a team admin only its own team's, never a global one. */
  const changeable = async (request: FastifyRequest, id: string) => {
    const access = accessOf(request);
    const t = await visible(access, id);
    if (access.role === 'team_admin' && t.team === undefined) throw forbidden('change a global prompt template');
    return t;
  };
  const versionParam = (raw: string) => {
    if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new GatewayError('invalid_request', `Invalid version '${raw.slice(0, 20)}': expected a version number.`, { param: 'version' });
    return Number(raw);
  };

  routes.add({ method: 'GET', url: '/templates', summary: 'List prompt templates (a team admin: its team\'s and the global ones)', tag, query: listQuery, teamAdmin: true }, async ({ query, request }) => {
    const access = accessOf(request);
    if (query.team !== undefined) checkTeam(access, query.team, 'team');
    const all = await store.listTemplates();
    const shown = all.filter((t) =>
      access.role === 'team_admin' ? t.team === undefined || t.team === access.team : query.team === undefined || t.team === query.team,
    );
    const narrowed = query.team !== undefined ? shown.filter((t) => t.team === query.team) : shown;
    return { object: 'list', data: narrowed.map(presentTemplate) };
  });

  routes.add({ method: 'POST', url: '/templates', summary: 'Create a prompt template (version 1, a draft unless publish: true)', tag, body: templateCreate, status: 201, teamAdmin: true }, async ({ body, request }) => {
    const access = accessOf(request);
    // A team admin's templates belong to its team (named or not); only the gateway admin creates global ones.
    const team = access.role === 'team_admin' ? (body.team ?? access.team) : body.team;
    if (team !== undefined) {
      checkTeam(access, team, 'team');
      await requireTeam(store, team);
    }
    checkModel(body.model, 'model');
    const t = await service.create({ ...body, team }, author(request));
    await audit(request, { action: 'template.create', target: { type: 'template', id: t.id }, team: auditTeam(t), after: presentTemplate(t) });
    return presentTemplate(t);
  });

  routes.add({ method: 'GET', url: '/templates/:id', summary: 'A prompt template with all its versions and publications', tag, teamAdmin: true }, async ({ params, request }) =>
    presentTemplate(await visible(accessOf(request), params.id!)),
  );

  routes.add({ method: 'PATCH', url: '/templates/:id', summary: 'Change a template\'s description', tag, body: templatePatch, teamAdmin: true }, async ({ params, body, request }) => {
    await changeable(request, params.id!);
    const { before, after } = await service.update(params.id!, (t) => {
      const { description: _, ...rest } = t;
      return body.description === null ? rest : { ...rest, description: body.description };
    });
    await audit(request, { action: 'template.update', target: { type: 'template', id: after.id }, team: auditTeam(after), before: presentTemplate(before), after: presentTemplate(after) });
    return presentTemplate(after);
  });

  routes.add({ method: 'DELETE', url: '/templates/:id', summary: 'Delete a prompt template (clients naming it get 404)', tag, teamAdmin: true }, async ({ params, request }) => {
    const t = await changeable(request, params.id!);
    await store.deleteTemplate(t.id);
    await audit(request, { action: 'template.delete', target: { type: 'template', id: t.id }, team: auditTeam(t), before: presentTemplate(t) });
    return { id: t.id, object: 'prompt_template', deleted: true };
  });

  routes.add({ method: 'POST', url: '/templates/:id/versions', summary: 'Add a version (a draft unless publish: true)', tag, body: versionCreate, status: 201, teamAdmin: true }, async ({ params, body, request }) => {
    await changeable(request, params.id!);
    checkModel(body.model, 'model');
    const { before, after } = await service.addVersion(params.id!, body, author(request));
    const v = after.versions.at(-1)!;
    await audit(request, { action: 'template.add_version', target: { type: 'template', id: after.id }, team: auditTeam(after), before: { published: before.published ?? null }, after: presentVersion(after, v) });
    return { template: after.id, ...presentVersion(after, v) };
  });

  routes.add({ method: 'GET', url: '/templates/:id/versions/:version', summary: 'One version', tag, teamAdmin: true }, async ({ params, request }) => {
    const t = await visible(accessOf(request), params.id!);
    return { template: t.id, ...presentVersion(t, requireVersion(t, versionParam(params.version!))) };
  });

  routes.add({ method: 'PATCH', url: '/templates/:id/versions/:version', summary: 'Edit a draft (published versions are frozen: 409)', tag, body: versionPatch, teamAdmin: true }, async ({ params, body, request }) => {
    await changeable(request, params.id!);
    checkModel(body.model, 'model');
    const number = versionParam(params.version!);
    const { before, after } = await service.editDraft(params.id!, number, body);
    const v = requireVersion(after, number);
    await audit(request, { action: 'template.edit_draft', target: { type: 'template', id: after.id }, team: auditTeam(after), before: presentVersion(before, requireVersion(before, number)), after: presentVersion(after, v) });
    return { template: after.id, ...presentVersion(after, v) };
  });

  routes.add({ method: 'POST', url: '/templates/:id/versions/:version/publish', summary: 'Publish a version: clients naming no version get it from the next request', tag, teamAdmin: true }, async ({ params, request }) => {
    await changeable(request, params.id!);
    const { before, after } = await service.publish(params.id!, versionParam(params.version!), author(request));
    await audit(request, { action: 'template.publish', target: { type: 'template', id: after.id }, team: auditTeam(after), before: { published: before.published ?? null }, after: { published: after.published } });
    return presentTemplate(after);
  });

  routes.add({ method: 'POST', url: '/templates/:id/rollback', summary: 'Publish the previously published version (or the one named)', tag, body: rollbackInput, teamAdmin: true }, async ({ params, body, request }) => {
    await changeable(request, params.id!);
    const { before, after } = await service.rollback(params.id!, body?.version, author(request));
    await audit(request, { action: 'template.rollback', target: { type: 'template', id: after.id }, team: auditTeam(after), before: { published: before.published ?? null }, after: { published: after.published } });
    return presentTemplate(after);
  });

  routes.add({ method: 'GET', url: '/templates/:id/usage', summary: 'Requests, tokens and cost per UTC day, version and team (a team admin: its team\'s)', tag, query: usageQuery, teamAdmin: true }, async ({ params, query, request }) => {
    const access = accessOf(request);
    const t = await visible(access, params.id!);
    const to = query.to !== undefined ? parseTime(query.to) : Date.now() + 1;
    const from = query.from !== undefined ? parseTime(query.from) : to - 30 * 86_400_000;
    const rows = (await store.queryTemplateUsage(t.id, { from, to })).filter((r) => access.role === 'admin' || r.teamId === access.team);
    const byVersion = new Map<number, { version: number; requests: number; promptTokens: number; completionTokens: number; costMicros: number; errors: number }>();
    for (const r of rows) {
      const v = byVersion.get(r.version) ?? { version: r.version, requests: 0, promptTokens: 0, completionTokens: 0, costMicros: 0, errors: 0 };
      v.requests += r.requests;
      v.promptTokens += r.promptTokens;
      v.completionTokens += r.completionTokens;
      v.costMicros += r.costMicros;
      v.errors += r.errors;
      byVersion.set(r.version, v);
    }
    const money = <T extends { costMicros: number }>(x: T) => ({ ...x, costUsd: microsToUsd(x.costMicros) });
    return {
      object: 'template_usage',
      template: t.id,
      from: iso(from),
      to: iso(to),
      versions: [...byVersion.values()].sort((a, b) => a.version - b.version).map(money),
      data: rows.map((r) => money({ ...r, day: iso(r.day)!.slice(0, 10) })),
    };
  });

  routes.add({ method: 'POST', url: '/templates/:id/render', summary: 'Preview: the messages a version renders to with these variables (nothing is sent)', tag, body: renderInput, teamAdmin: true }, async ({ params, body, request }) => {
    const t = await visible(accessOf(request), params.id!);
    const number = body.version ?? t.published;
    if (number === undefined) throw new GatewayError('invalid_request', `Prompt template '${t.id}' has no published version: name one.`, { param: 'version' });
    const v = requireVersion(t, number);
    return { template: t.id, version: v.version, model: v.model ?? null, params: v.params ?? {}, messages: renderMessages(t.id, v.version, v.messages, body.variables) };
  });
}
