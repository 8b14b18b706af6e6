import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createGuardRegistry } from '../../src/pipeline/team-guards.js';
import type { Team } from '../../src/state/types.js';

const config = parseConfig(
  'providers:\n  o: { kind: openai, baseUrl: "http://x/v1" }\nmodels:\n  m: { provider: o, upstream: m, price: { input: 1, output: 1 }, contextWindow: 1000 }\nguards:\n  pii: { enabled: true }\n',
  'min.yaml',
  {},
);
const team = (id: string, policy: Record<string, unknown>): Team => ({ id, name: id, allowedModels: ['*'], budgets: [], policy, createdAt: 1, updatedAt: 1 });
const TEXT = 'My name is Sigurlaug Karlsdóttir, mail me at sigurlaug@example.com';

describe('PII categories a team allows are not scanned', () => {
  it('names are found by default, and a team that allows them skips that scan while e-mails are still found', () => {
    const reg = createGuardRegistry(config, pino({ level: 'silent' }));
    const all = reg.forTeam(team('a', {})).pii!.detector;
    expect(all.detect(TEXT).map((f) => f.category)).toEqual(['person', 'email']);
    const allow = { person: 'allow', location: 'allow', organization: 'allow', street_address: 'allow' };
    const noNames = reg.forTeam(team('b', { guards: { pii: { actions: allow } } })).pii!.detector;
    expect(noNames.categories).not.toContain('person');
    expect(noNames.detect(TEXT).map((f) => f.category)).toEqual(['email']);
    // Teams with the same scanned categories share one detector.
    expect(reg.forTeam(team('c', {})).pii!.detector).toBe(all);
  });
});
