/**
 * The guards of one team, compiled from its effective policy once and reused until the team changes
 * (`updatedAt`). Detectors that cost memory (PII recognizers, the injection model) are shared by all teams.
 */
import { actionFor, createNerRecognizer, createPiiDetector, PII_CATEGORIES, type NerRecognizer, type PiiDetector, type PiiPolicy } from '../../guards/pii/index.js';
import { createInjectionDetector, type InjectionDetector } from '../../guards/injection/index.js';
import { createPromptGuard, type PromptGuard } from '../../guards/prompt-guard/index.js';
import { createTextClassifier, type TextClassifier } from '../../guards/classifier/index.js';
import { createVerdictCache, type VerdictCache } from '../../guards/llm-judge/index.js';
import type { GatewayConfig } from '../config/schema.js';
import { resolvePolicy, type EffectivePolicy } from '../config/policy.js';
import type { Team } from '../state/state-store.js';
import type { Logger } from 'pino';

export interface TeamGuards {
  readonly policy: EffectivePolicy;
  readonly prompt?: PromptGuard;
  readonly pii?: { detector: PiiDetector; policy: PiiPolicy; ner?: NerRecognizer };
  readonly injection?: InjectionDetector;
  /** The `classifier` guard's model (one per model path, shared by the teams that use it). */
  readonly classifier?: TextClassifier;
  /** LLM-judge verdicts, shared by every team of the process (keys include the team). */
  readonly verdicts: VerdictCache;
  /** True when any input guard is on (lets the pipeline skip the stage entirely). */
  readonly anyInput: boolean;
}

/** Per-generation cache of compiled team guards (a config reload builds a new one). */
export interface GuardRegistry {
  forTeam(team: Team): TeamGuards;
}

/**
 * What the registries of successive config generations share, so a reload neither loads a model again nor
 * forgets the judge's verdicts: one classifier and one NER model per path (a changed path loads the new one),
 * and the verdict cache. Lifetime: the runtime's.
 */
export interface GuardModels {
  readonly classifiers: Map<string, TextClassifier>;
  readonly ners: Map<string, NerRecognizer>;
  readonly verdicts: VerdictCache;
}

export function createGuardModels(): GuardModels {
  return { classifiers: new Map(), ners: new Map(), verdicts: createVerdictCache() };
}

export function createGuardRegistry(config: GatewayConfig, logger: Logger, models: GuardModels = createGuardModels()): GuardRegistry {
  // One detector per set of scanned categories: a category a team allows is not scanned at all (names and places
  // cost more than the patterns; `actions: { person: allow, … }` turns that cost off).
  const piiDetectors = new Map<string, PiiDetector>();
  let injection: InjectionDetector | undefined;
  const { ners, classifiers, verdicts } = models;
  const cache = new Map<string, { updatedAt: number; guards: TeamGuards }>();

  /**
   * One model per path. Loading starts when it is first named, not inside a request's deadline; a failure is
   * reported by the requests (onError). Without a path the guard cannot decide either: its onError applies.
   */
  function classifierFor(modelPath: string): TextClassifier {
    const path = modelPath || '(classifier.modelPath is not set)';
    let c = classifiers.get(path);
    if (!c) {
      logger.info({ modelPath: path }, 'loading classifier model');
      c = createTextClassifier({ modelPath: path });
      c.labels().catch(() => undefined);
      classifiers.set(path, c);
    }
    return c;
  }
  // The models the config names (gateway-wide and config teams) load at start, so their first requests do not
  // wait for them; teams created through the admin API load theirs when first served.
  for (const policy of [{ guards: config.guards }, ...Object.values(config.teams).map((t) => t.policy ?? {})]) {
    const c = resolvePolicy(config, policy as Record<string, unknown>).guards.classifier;
    if (c.enabled && c.modelPath) classifierFor(c.modelPath);
  }

  function compile(team: Team): TeamGuards {
    const { invalid, ...policy } = resolvePolicy(config, team.policy);
    // Once per team version: the team is served with the rest of its policy (see readTeamPolicy).
    if (invalid.length) logger.error({ team: team.id, invalid }, `team ${team.id}: stored policy settings ${invalid.join(', ')} are not valid in this version and are ignored; the rest of the team's policy applies`);
    const g = policy.guards;
    const prompt =
      g.prompt.allow.length || g.prompt.deny.length || g.prompt.maxPromptChars
        ? createPromptGuard({ allow: g.prompt.allow, deny: g.prompt.deny, roles: g.prompt.roles, maxPromptChars: g.prompt.maxPromptChars || undefined })
        : undefined;
    let ner: NerRecognizer | undefined;
    if (g.pii.enabled && g.pii.nerModelPath) {
      ner = ners.get(g.pii.nerModelPath) ?? createNerRecognizer({ modelPath: g.pii.nerModelPath });
      ners.set(g.pii.nerModelPath, ner);
    }
    let pii: TeamGuards['pii'];
    if (g.pii.enabled) {
      const piiPolicy = { defaultAction: g.pii.defaultAction, actions: g.pii.actions, maskKeep: g.pii.maskKeep } as PiiPolicy;
      const categories = PII_CATEGORIES.filter((c) => actionFor(piiPolicy, c) !== 'allow');
      const key = categories.join(',');
      let detector = piiDetectors.get(key);
      if (!detector) piiDetectors.set(key, (detector = createPiiDetector({ categories })));
      pii = { detector, policy: piiPolicy, ner };
    }
    const inj = g.injection.enabled ? (injection ??= createInjectionDetector()) : undefined;
    const classifier = g.classifier.enabled ? classifierFor(g.classifier.modelPath) : undefined;
    const modelGuards = Boolean(classifier || g.judge.enabled || g.external.services.length);
    return {
      policy,
      prompt,
      pii,
      injection: inj,
      classifier,
      verdicts,
      anyInput: Boolean(prompt || pii || inj || (g.topics.enabled && g.topics.deny.length) || modelGuards),
    };
  }

  return {
    forTeam(team) {
      const hit = cache.get(team.id);
      if (hit && hit.updatedAt === team.updatedAt) return hit.guards;
      const guards = compile(team);
      cache.set(team.id, { updatedAt: team.updatedAt, guards });
      return guards;
    },
  };
}
