/**
 * README "Five minutes with the gateway", run as written: each `curl` of its code block is parsed (method, path,
 * headers, body) and sent to a gateway with `$GW`, `$ADMIN` and `$KEY` filled in, so the walkthrough cannot
 * drift from what the gateway does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { requestJson, useAdminGateway } from '../helpers/admin-request.js';

const ADMIN = 'walkthrough-admin-token-0123456789';

interface Curl {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The curl commands of the README section, in order (continuation lines joined). */
function walkthroughCommands(): Curl[] {
  const readme = readFileSync(fromRoot('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Five minutes with the gateway'));
  const block = section.split('```sh')[2].split('```')[0];
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
  return lines.map((line) => {
    const url = /\$GW(\/\S+)/.exec(line)![1];
    const headers: Record<string, string> = {};
    for (const m of line.matchAll(/-H (?:"([^"]+)"|'([^']+)')/g)) {
      const [name, ...rest] = (m[1] ?? m[2]).split(':');
      headers[name.trim()] = rest.join(':').trim();
    }
    const body = /-d '([^']+)'/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? (body ? 'POST' : 'GET');
    return { method, path: url, headers, body };
  });
}

describe('README walkthrough', () => {
  const { env } = useAdminGateway(ADMIN);

  it('team → key → budget → request → budget status, each step answering as the README says', async () => {
    const steps = walkthroughCommands();
    expect(steps.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /admin/teams',
      'POST /admin/keys',
      'PUT /admin/teams/search/budgets',
      'POST /v1/chat/completions',
      'GET /admin/teams/search/budget-status',
    ]);
    let key = '';
    const answers: { status: number; headers: Headers; json: any }[] = [];
    for (const step of steps) {
      const headers = Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, v.replace('$ADMIN', ADMIN).replace('$KEY', key)]));
      const answer = await requestJson(env.gw.url + step.path, { method: step.method, headers, body: step.body });
      expect(answer.status, `${step.method} ${step.path}: ${JSON.stringify(answer.json)}`).toBeLessThan(300);
      answers.push(answer);
      if (step.path === '/admin/keys') key = answer.json.secret;
    }
    const [team, created, budget, chat, status] = answers;
    expect(team.json).toMatchObject({ id: 'search', allowedModels: ['gpt-4o-mini', 'claude-haiku-4-5'] });
    expect(created.json.secret).toMatch(/^gw-/);
    expect(budget.json.budgets).toEqual([expect.objectContaining({ period: 'daily', usd: '5.000000' })]);
    expect(chat.json.choices[0].message.content).toEqual(expect.any(String));
    expect(Number(chat.headers.get('x-gateway-cost-usd'))).toBeGreaterThan(0);
    expect(Number(chat.headers.get('x-gateway-budget-remaining-usd'))).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(Number(status.json.data[0].spentUsd)).toBeGreaterThanOrEqual(0);
    // Step 6: the dashboard takes the key.
    const me = await fetch(`${env.gw.url}/dashboard/api/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(await me.json()).toMatchObject({ role: 'viewer', team: 'search' });
  });
});
