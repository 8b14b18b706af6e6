/**
 * Managed prompt templates at the edge (docs/templates.md): a request that names a gateway template in `prompt`
 * is rewritten into an ordinary request before it is decoded — the template's rendered messages first, then the
 * client's; the template's model and parameters as defaults the client's own values override. From then on it is
 * just messages: validation, every guard, the cache, routing and billing see the rendered prompt.
 *
 * Ids: `pmpt_…` is OpenAI's stored-prompt namespace, never a gateway template. On /v1/responses such a `prompt`
 * is left in the body (relayed to an OpenAI target with the Responses API; refused with a 400 naming `prompt` by
 * translated targets); on /v1/chat/completions it is a 400. Any other id must name a template the caller's team
 * may use (its own or a global one), else 404 — a typo never silently reaches a provider.
 */
import { GatewayError } from '../core/errors.js';
import type { StateStore } from '../state/state-store.js';
import type { PromptTemplate, TemplateMessage, TemplateVersion } from '../state/templates.js';
import { renderMessages } from './render.js';

/** What expanding needs from the request: the store, the caller's team, and where to note what was used. */
export interface TemplateEnv {
  store: StateStore;
  teamId: string;
  /** The request's log-line notes: `template: {id, version}` is written there (metrics read it at the end). */
  notes: Record<string, unknown>;
}

export interface TemplateUse {
  id: string;
  version: number;
}

export const OPENAI_PROMPT_PREFIX = 'pmpt_';

type Json = Record<string, any>;

const bad = (message: string, param: string) => new GatewayError('invalid_request', message, { param });

interface PromptRef {
  id: string;
  version?: number;
  variables: Record<string, unknown>;
}

function readRef(prompt: unknown): PromptRef {
  if (!prompt || typeof prompt !== 'object' || Array.isArray(prompt)) throw bad("Invalid type for 'prompt': expected an object {id, version?, variables?}.", 'prompt');
  const p = prompt as Json;
  for (const k of Object.keys(p)) if (!['id', 'version', 'variables'].includes(k)) throw bad(`Unknown parameter: 'prompt.${k}' (a prompt has id, version and variables).`, `prompt.${k}`);
  if (typeof p.id !== 'string' || !p.id) throw bad("Missing required parameter: 'prompt.id'.", 'prompt.id');
  let version: number | undefined;
  if (p.version != null) {
    const v = typeof p.version === 'string' && /^[1-9][0-9]{0,8}$/.test(p.version) ? Number(p.version) : p.version;
    if (!Number.isInteger(v) || v < 1) throw bad("Invalid value for 'prompt.version': expected a version number such as \"2\" (omit it for the published version).", 'prompt.version');
    version = v;
  }
  const vars = p.variables ?? {};
  if (typeof vars !== 'object' || Array.isArray(vars)) throw bad("Invalid type for 'prompt.variables': expected an object of name → value.", 'prompt.variables');
  return { id: p.id, version, variables: vars };
}

/** The version a reference asks for, if the caller's team may use the template. */
async function resolve(env: TemplateEnv, ref: PromptRef): Promise<{ template: PromptTemplate; version: TemplateVersion }> {
  // Gateway ids are at most 64 characters: a longer one is no template (and is not echoed whole).
  const template = ref.id.length <= 64 ? await env.store.getTemplate(ref.id) : undefined;
  // Another team's template is answered like a missing one: ids cannot be probed.
  if (!template || (template.team !== undefined && template.team !== env.teamId)) {
    throw new GatewayError('not_found', `No prompt template '${ref.id.slice(0, 64)}' (gateway templates are managed under /admin/templates; OpenAI stored prompts have ids starting with '${OPENAI_PROMPT_PREFIX}').`, { param: 'prompt.id' });
  }
  const wanted = ref.version ?? template.published;
  if (wanted === undefined) throw bad(`Prompt template '${ref.id}' has no published version yet: publish one, or name a version to try a draft.`, 'prompt.version');
  const version = template.versions.find((v) => v.version === wanted);
  if (!version) throw new GatewayError('not_found', `Prompt template '${ref.id}' has no version ${wanted}.`, { param: 'prompt.version' });
  return { template, version };
}

async function render(env: TemplateEnv, prompt: unknown) {
  const ref = readRef(prompt);
  const { template, version } = await resolve(env, ref);
  const messages = renderMessages(template.id, version.version, version.messages, ref.variables);
  env.notes.template = { id: template.id, version: version.version } satisfies TemplateUse;
  return { version, messages };
}

function requireObject(body: unknown): Json | undefined {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : undefined;
}

/** POST /v1/chat/completions with `prompt`: the same object as the Responses API's, in the chat body. */
export async function expandChatPrompt(body: unknown, env: TemplateEnv): Promise<unknown> {
  const b = requireObject(body);
  if (!b || b.prompt == null) return body;
  if (typeof b.prompt === 'object' && typeof b.prompt.id === 'string' && b.prompt.id.startsWith(OPENAI_PROMPT_PREFIX)) {
    throw bad(`'${b.prompt.id}' is an OpenAI stored prompt: those are used through /v1/responses on an OpenAI target with the Responses API. Chat completions take gateway templates only.`, 'prompt.id');
  }
  if (b.messages != null && !Array.isArray(b.messages)) throw bad("Invalid type for 'messages': expected an array.", 'messages');
  const { version, messages } = await render(env, b.prompt);
  const out: Json = { ...b, messages: [...messages, ...(b.messages ?? [])] };
  delete out.prompt;
  out.model ??= version.model;
  if (out.model == null) throw bad(`Missing required parameter: 'model' (prompt template '${(b.prompt as Json).id}' version ${version.version} sets no default model).`, 'model');
  const p = version.params ?? {};
  if (p.temperature !== undefined) out.temperature ??= p.temperature;
  if (p.top_p !== undefined) out.top_p ??= p.top_p;
  if (p.max_tokens !== undefined && out.max_tokens == null && out.max_completion_tokens == null) out.max_completion_tokens = p.max_tokens;
  return out;
}

const asInputItem = (m: TemplateMessage) => ({ type: 'message', role: m.role, content: m.content });

/** POST /v1/responses with `prompt`: a gateway template is rendered into `input`; `pmpt_…` ids are OpenAI's. */
export async function expandResponsesPrompt(body: unknown, env: TemplateEnv): Promise<unknown> {
  const b = requireObject(body);
  if (!b || b.prompt == null) return body;
  if (typeof b.prompt === 'object' && typeof b.prompt.id === 'string' && b.prompt.id.startsWith(OPENAI_PROMPT_PREFIX)) return body;
  const { version, messages } = await render(env, b.prompt);
  const input = b.input == null ? [] : typeof b.input === 'string' ? [{ type: 'message', role: 'user', content: b.input }] : b.input;
  if (!Array.isArray(input)) throw bad("Invalid type for 'input': expected a string or an array of input items.", 'input');
  const out: Json = { ...b, input: [...messages.map(asInputItem), ...input] };
  delete out.prompt;
  out.model ??= version.model;
  if (out.model == null) throw bad(`Missing required parameter: 'model' (prompt template '${(b.prompt as Json).id}' version ${version.version} sets no default model).`, 'model');
  const p = version.params ?? {};
  if (p.temperature !== undefined) out.temperature ??= p.temperature;
  if (p.top_p !== undefined) out.top_p ??= p.top_p;
  if (p.max_tokens !== undefined) out.max_output_tokens ??= p.max_tokens;
  return out;
}
