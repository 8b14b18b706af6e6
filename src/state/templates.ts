/**
 * Managed prompt templates (docs/templates.md) as both stores keep them: one document per template, its versions
 * inside, written whole with a compare-and-set on `revision` so two admins (or replicas) publishing at once never
 * lose a change. The version logic (numbering, drafts, publishing, rollback) lives in src/templates/.
 */

export interface TemplateMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  /** Text with `{{variable}}` placeholders. */
  content: string;
}

/** Parameters a template sets as defaults; a client's own value wins. */
export interface TemplateParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
}

export interface TemplateVersion {
  version: number;
  messages: TemplateMessage[];
  /** Default model (a catalog name); the client's `model` wins when it sends one. */
  model?: string;
  params?: TemplateParams;
  /** The variables the messages use, sorted (derived from the messages when saved). */
  variables: string[];
  note?: string;
  createdAt: number;
  /** Credential that created it (`admin-token:…` or `key:<id>`), never a secret. */
  createdBy?: string;
  /** First time it was published: from then on it is frozen (a draft is a version never published). */
  publishedAt?: number;
}

export interface TemplatePublication {
  version: number;
  at: number;
  by?: string;
}

export interface PromptTemplate {
  /** Gateway-wide id (`[A-Za-z0-9_.-]`, not starting with `pmpt_`: that prefix is OpenAI's stored prompts). */
  id: string;
  /** Owning team; absent for a global template (gateway admin only), usable by every team. */
  team?: string;
  description?: string;
  versions: TemplateVersion[];
  /** The version clients get when they name none; absent until the first publish. */
  published?: number;
  /** Publications, oldest first (rollback walks it back); the last 100 are kept. */
  history: TemplatePublication[];
  createdAt: number;
  updatedAt: number;
  /** Incremented by every save; the compare-and-set token. */
  revision: number;
}

/** One request that used a template, for the per-template usage aggregate (day × template × version × team). */
export interface TemplateUsage {
  /** Epoch ms of the request; aggregated by UTC day. */
  at: number;
  template: string;
  version: number;
  teamId: string;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  /** The request failed (an error status, guard refusals included). */
  error: boolean;
}

export interface TemplateUsageRow {
  /** Start of the UTC day, epoch ms. */
  day: number;
  version: number;
  teamId: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  errors: number;
}

export const DAY_MS = 86_400_000;
export const dayOf = (at: number) => Math.floor(at / DAY_MS) * DAY_MS;

/** Day, version, then team id by code unit (as SQLite's ORDER BY), so both stores list rows alike. */
export const byDayVersionTeam = (a: TemplateUsageRow, b: TemplateUsageRow) =>
  a.day - b.day || a.version - b.version || (a.teamId < b.teamId ? -1 : a.teamId > b.teamId ? 1 : 0);
