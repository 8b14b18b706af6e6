/**
 * The version logic of managed prompt templates, over the StateStore's compare-and-set: every change reads the
 * template, computes the next document and saves it only if nobody saved in between (else re-reads and retries),
 * so concurrent admins on several replicas never lose a version or a publication.
 *
 * Versions are numbered 1, 2, …; a version is a draft until it is first published, and frozen from then on (a
 * change is a new version). `published` is what clients get when they name no version; every publication is kept
 * in `history`, and a rollback publishes the version published before the current one (or a named one).
 */
import { GatewayError } from '../core/errors.js';
import type { StateStore } from '../state/state-store.js';
import type { PromptTemplate, TemplateMessage, TemplateParams, TemplateVersion } from '../state/templates.js';
import { variablesOf } from './render.js';

export const MAX_VERSIONS = 500;
const HISTORY_KEPT = 100;
const ATTEMPTS = 10;

export interface VersionInput {
  messages: TemplateMessage[];
  model?: string;
  params?: TemplateParams;
  note?: string;
}

/** Who made a change (audit credential), for `createdBy` and the publication history. */
export type Author = string | undefined;

export function requireTemplate(t: PromptTemplate | undefined, id: string): PromptTemplate {
  if (!t) throw new GatewayError('not_found', `No prompt template with id '${id}'.`, { param: 'id' });
  return t;
}

export function requireVersion(t: PromptTemplate, version: number): TemplateVersion {
  const v = t.versions.find((x) => x.version === version);
  if (!v) throw new GatewayError('not_found', `Prompt template '${t.id}' has no version ${version}.`, { param: 'version' });
  return v;
}

function newVersion(number: number, input: VersionInput, by: Author, now: number): TemplateVersion {
  return {
    version: number,
    messages: input.messages,
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.params && Object.keys(input.params).length ? { params: input.params } : {}),
    variables: variablesOf(input.messages),
    ...(input.note !== undefined ? { note: input.note } : {}),
    createdAt: now,
    ...(by ? { createdBy: by } : {}),
  };
}

function publish(t: PromptTemplate, version: number, by: Author, now: number): PromptTemplate {
  const v = requireVersion(t, version);
  // Publishing what is published already changes nothing (and must not push older publications out of history).
  if (t.published === version) return t;
  const versions = t.versions.map((x) => (x === v && x.publishedAt === undefined ? { ...x, publishedAt: now } : x));
  const history = [...t.history, { version, at: now, ...(by ? { by } : {}) }].slice(-HISTORY_KEPT);
  return { ...t, versions, published: version, history };
}

export function createTemplateService(store: StateStore) {
  /** Read, change, compare-and-set; retried on a concurrent write. `change` throws GatewayError to refuse. */
  async function update(id: string, change: (t: PromptTemplate, now: number) => PromptTemplate): Promise<{ before: PromptTemplate; after: PromptTemplate }> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const before = requireTemplate(await store.getTemplate(id), id);
      const now = Date.now();
      const after = { ...change(before, now), updatedAt: now, revision: before.revision + 1 };
      if (await store.saveTemplate(after, before.revision)) return { before, after };
    }
    throw new GatewayError('template_conflict', `Prompt template '${id}' kept changing under this request; retry.`, { param: 'id' });
  }

  return {
    async create(input: { id: string; team?: string; description?: string; publish?: boolean } & VersionInput, by: Author): Promise<PromptTemplate> {
      const now = Date.now();
      let t: PromptTemplate = {
        id: input.id,
        ...(input.team !== undefined ? { team: input.team } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        versions: [newVersion(1, input, by, now)],
        history: [],
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      if (input.publish) t = publish(t, 1, by, now);
      if (!(await store.saveTemplate(t, 0))) throw new GatewayError('already_exists', `A prompt template with id '${input.id}' already exists.`, { param: 'id' });
      return t;
    },

    /** A new draft (published at once with `publish`): the next number. */
    addVersion(id: string, input: VersionInput & { publish?: boolean }, by: Author) {
      return update(id, (t, now) => {
        if (t.versions.length >= MAX_VERSIONS) throw new GatewayError('template_conflict', `Prompt template '${id}' has ${MAX_VERSIONS} versions, the most kept: delete it and create it again.`, { param: 'id' });
        const number = Math.max(...t.versions.map((v) => v.version)) + 1;
        const next = { ...t, versions: [...t.versions, newVersion(number, input, by, now)] };
        return input.publish ? publish(next, number, by, now) : next;
      });
    },

    /** Changes a draft in place; a version ever published is frozen (409). */
    /** `null` clears a default model or parameters; an absent field is kept. */
    editDraft(id: string, version: number, patch: { messages?: TemplateMessage[]; model?: string | null; params?: TemplateParams | null; note?: string }) {
      return update(id, (t) => {
        const v = requireVersion(t, version);
        if (v.publishedAt !== undefined) {
          throw new GatewayError('template_conflict', `Version ${version} of prompt template '${id}' has been published and is frozen: create a new version instead.`, { param: 'version' });
        }
        const messages = patch.messages ?? v.messages;
        const edited: TemplateVersion = { ...v, messages, variables: variablesOf(messages) };
        if (patch.note !== undefined) edited.note = patch.note;
        if (patch.model === null) delete edited.model;
        else if (patch.model !== undefined) edited.model = patch.model;
        if (patch.params === null) delete edited.params;
        else if (patch.params !== undefined) edited.params = patch.params;
        return { ...t, versions: t.versions.map((x) => (x === v ? edited : x)) };
      });
    },

    publish(id: string, version: number, by: Author) {
      return update(id, (t, now) => publish(t, version, by, now));
    },

    /** Publishes `version`, or (none given) the version published before the current one. */
    rollback(id: string, version: number | undefined, by: Author) {
      return update(id, (t, now) => {
        let target = version;
        if (target === undefined) {
          // The latest publication of a version other than the current one.
          target = [...t.history].reverse().find((h) => h.version !== t.published)?.version;
          if (target === undefined) throw new GatewayError('template_conflict', `Prompt template '${id}' has no earlier published version to roll back to.`, { param: 'version' });
        } else if (requireVersion(t, target).publishedAt === undefined) {
          throw new GatewayError('template_conflict', `Version ${target} of prompt template '${id}' was never published: a rollback returns to a published version (publish a draft with /publish).`, { param: 'version' });
        }
        return publish(t, target, by, now);
      });
    },

    update,
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
