/**
 * A team policy stored by another version of the gateway (a setting since renamed or removed): the team keeps the
 * rest of its guards instead of silently falling back to the gateway-wide ones, and the gateway says which
 * settings it ignored.
 */
import { describe, expect, it } from 'vitest';
import { useTestGateway } from '../helpers/test-gateway.js';
import { readTeamPolicy } from '../../src/config/policy.js';

const env = useTestGateway();

describe('a stored team policy with settings this version does not accept', () => {
  it('serves the team with the valid rest of its policy (PII still pseudonymised) and logs the ignored settings once', async () => {
    const { gw, upstream } = env;
    const store = gw.runtime.store;
    const team = (await store.getTeam('default'))!;
    await store.upsertTeam({
      ...team,
      policy: {
        guards: {
          // `detectNames` is not a setting of this version; `maskKeep: -1` is out of range.
          pii: { enabled: true, defaultAction: 'pseudonymise', detectNames: true, maskKeep: -1 },
          prompt: { deny: ['\\bproject falcon\\b'] },
          sentiment: { enabled: true },
        },
        cache: { mode: 'sometimes' },
      },
      updatedAt: team.updatedAt + 1,
    });

    for (let i = 0; i < 2; i++) {
      const res = await gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write to jane.doe@example.com today' }] });
      expect(res.choices[0].message.content).toBeTypeOf('string');
      expect(JSON.stringify(upstream.requests.at(-1)!.body)).not.toContain('jane.doe@example.com');
    }
    await expect(gw.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me about Project Falcon' }] })).rejects.toMatchObject({ status: 400 });

    const lines = gw.logs.filter((l) => l.team === 'default' && Array.isArray(l.invalid));
    expect(lines).toHaveLength(1);
    expect(lines[0].level).toBe(50);
    expect(lines[0].invalid.sort()).toEqual(['cache.mode', 'guards.pii.detectNames', 'guards.pii.maskKeep', 'guards.sentiment']);
  });

  it('a valid policy is read whole, with nothing reported', () => {
    const policy = { guards: { pii: { enabled: true, maskKeep: 2 } }, cache: { mode: 'on' } };
    expect(readTeamPolicy(policy)).toEqual({ policy, invalid: [] });
    expect(readTeamPolicy({ guards: 'pii' })).toMatchObject({ invalid: ['guards'] });
  });
});
