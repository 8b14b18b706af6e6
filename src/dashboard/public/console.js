// The console: what a gateway admin (every team) or a team admin (its own team) manages in the browser, through
// the admin API with the signed-in token — teams (gateway admin), keys (create with the secret shown once,
// rotate keeping the key id, revoke), budgets, rate limits and model lists of both, and the audit trail. Objects the config file declares are read-only, with
// the reason. The server enforces every rule (roles, limits, 409 for config objects); the page only asks.
import { api, el, row, wrapTd } from './dom.js';
import { loadTemplates } from './templates.js';

const $ = (id) => document.getElementById(id);
let me = null;
let team = '';

const changed = () => document.dispatchEvent(new Event('console-changed'));
const fail = (err) => ($('console-error').textContent = err.message);
const readOnly = (why) => {
  const s = el('span', 'read-only', 'muted');
  s.title = why;
  return s;
};

/** Shows the console to gateway and team admins (null = signed out). */
export function showConsole(who) {
  me = who;
  const admin = who && (who.role === 'admin' || who.role === 'team_admin');
  $('console').hidden = !admin;
  $('teams-panel').hidden = !who || who.role !== 'admin';
  $('secret-box').hidden = true;
}

/** Reloads the console's lists for the team picked in the header (a team admin: its own). */
export async function loadConsole(who, picked) {
  if (!who || $('console').hidden) return;
  team = who.role === 'admin' ? picked : who.team;
  $('console-error').textContent = '';
  try {
    await Promise.all([who.role === 'admin' ? loadTeams() : undefined, loadKeys(), loadAudit(), loadTemplates(who, team)]);
    document.body.dataset.console = 'ready';
  } catch (err) {
    fail(err);
  }
}

async function loadTeams() {
  const body = $('teams-table').tBodies[0];
  const { data } = await api('/admin/teams');
  body.textContent = '';
  for (const t of data) {
    const budgets = t.budgets.map((b) => `${b.period} ${b.usd ? '$' + Number(b.usd).toFixed(2) : ''}${b.tokens ? ` ${b.tokens} tok` : ''}`.trim()).join(', ') || '–';
    const tr = row([t.name === t.id ? t.id : `${t.name} (${t.id})`, t.allowedModels.join(', ')]);
    const managed = t.managedBy === 'config' ? wrapTd(readOnly('Declared in the config file: edit it there (the file is applied again at every start and reload).')) : el('td', 'API ');
    if (t.managedBy !== 'config') {
      const path = `/admin/teams/${encodeURIComponent(t.id)}`;
      managed.append(
        button('Budget', () => setBudget(`${path}/budgets`, 'PUT', `team ${t.id}`)),
        button('Limits', () => setLimits(path, `team ${t.id}`, t.rateLimits)),
        button('Models', () => setModels(path, `team ${t.id}`, t.allowedModels)),
      );
    }
    tr.append(el('td', budgets, 'num'), managed);
    tr.dataset.team = t.id;
    body.append(tr);
  }
}

async function loadKeys() {
  const body = $('keys-table').tBodies[0];
  body.textContent = '';
  $('keys-team').textContent = team ? `team ${team}` : '(pick a team above)';
  $('key-form').hidden = !team;
  if (!team) return;
  const { data } = await api(`/admin/teams/${encodeURIComponent(team)}/keys`);
  for (const k of data) {
    const name = el('span', k.name);
    if (k.role === 'team_admin') name.append(el('span', ' team admin', 'muted'));
    const tr = row([name]);
    tr.append(el('td', k.prefix + '…', 'mono opt'), el('td', k.state + (k.previousSecret ? ' (old secret until ' + k.previousSecret.validUntil.slice(11, 16) + ' UTC)' : '')));
    const actions = el('td', undefined, 'actions');
    const live = k.state === 'active' || k.state === 'revoking';
    if (live) {
      if (k.managedBy === 'config') actions.append(readOnly('Declared in the config file: its secret is there. Revoking still works.'));
      else {
        const path = `/admin/keys/${encodeURIComponent(k.id)}`;
        actions.append(
          button('Budget', () => setBudget(path, 'PATCH', `key ${k.name}`)),
          button('Limits', () => setLimits(path, `key ${k.name}`, k.rateLimits)),
          button('Models', () => setModels(path, `key ${k.name}`, k.allowedModels)),
          button('Rotate', () => rotate(k)),
        );
      }
      actions.append(button('Revoke', () => revoke(k), 'danger'));
    }
    tr.append(actions);
    tr.dataset.key = k.id;
    body.append(tr);
  }
}

async function loadAudit() {
  const body = $('audit-table').tBodies[0];
  const q = new URLSearchParams({ limit: '20' });
  if (team) q.set('team', team);
  const { data } = await api('/admin/audit?' + q);
  body.textContent = '';
  for (const e of data) {
    const who = e.actor.name ? `${e.actor.name} (${e.actor.role})` : `${e.actor.role} ${e.actor.credential}`;
    const tr = row([e.at.slice(0, 16).replace('T', ' '), who, e.action]);
    tr.append(el('td', `${e.target.type} ${e.target.id}`, 'opt'));
    tr.dataset.action = e.action;
    body.append(tr);
  }
  if (!data.length) body.append(row([el('span', 'No changes recorded yet.', 'muted')]));
}

function button(label, onClick, cls = 'secondary') {
  const b = el('button', label, cls);
  b.type = 'button';
  b.addEventListener('click', () => void onClick().catch(fail));
  return b;
}

function showSecret(secret, what) {
  $('secret').textContent = secret;
  $('secret-for').textContent = what;
  $('secret-box').hidden = false;
}

/** Sets a daily USD budget (empty = none); the server checks it (a team admin: within the team's). */
async function setBudget(path, method, what) {
  const v = prompt(`Daily USD budget for ${what} (empty removes it):`, '');
  if (v === null) return;
  await api(path, { method, body: JSON.stringify({ budgets: dailyBudget(v) }) });
  $('console-error').textContent = '';
  changed();
}

/** Sets requests and tokens per minute ("60, 100000"; empty removes the limits). */
async function setLimits(path, what, current) {
  const now = current ? [current.rpm ?? '', current.tpm ?? ''].join(', ') : '';
  const v = prompt(`Rate limits of ${what}: requests per minute, tokens per minute (e.g. "60, 100000"; empty removes them):`, now);
  if (v === null) return;
  const [rpm, tpm] = v.split(',').map((x) => x.trim());
  const limits = {};
  if (rpm) limits.rpm = Number(rpm);
  if (tpm) limits.tpm = Number(tpm);
  await api(path, { method: 'PATCH', body: JSON.stringify({ rateLimits: rpm || tpm ? limits : null }) });
  $('console-error').textContent = '';
  changed();
}

/** Sets the model allow-list (comma-separated; the server checks every name against the catalog). */
async function setModels(path, what, current) {
  const v = prompt(`Models ${what} may use, comma-separated (* for all; empty: the team's list, for a key):`, (current ?? []).join(', '));
  if (v === null) return;
  const models = v.split(',').map((m) => m.trim()).filter(Boolean);
  await api(path, { method: 'PATCH', body: JSON.stringify({ allowedModels: models.length ? models : path.startsWith('/admin/keys/') ? null : ['*'] }) });
  $('console-error').textContent = '';
  changed();
}

async function rotate(k) {
  if (!confirm(`Rotate ${k.name}? The old secret stops working now.`)) return;
  const r = await api(`/admin/keys/${encodeURIComponent(k.id)}/rotate`, { method: 'POST', body: '{}' });
  showSecret(r.secret, `new secret of ${r.name} (same key id ${r.id})`);
  changed();
}

async function revoke(k) {
  if (!confirm(`Revoke ${k.name}? Requests with it are refused from now on.`)) return;
  await api(`/admin/keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST', body: '{}' });
  $('secret-box').hidden = true;
  changed();
}

const dailyBudget = (v) => (v.trim() ? [{ period: 'daily', usd: v.trim() }] : []);

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const r = await api('/admin/keys', { method: 'POST', body: JSON.stringify({ team, name: $('key-name').value.trim(), budgets: dailyBudget($('key-budget').value) }) });
    showSecret(r.secret, `${r.name} (${r.id})`);
    $('key-name').value = '';
    $('key-budget').value = '';
    changed();
  })().catch(fail);
});

$('team-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const models = $('team-models').value.split(',').map((m) => m.trim()).filter(Boolean);
    const body = { id: $('team-id').value.trim(), ...($('team-name').value.trim() ? { name: $('team-name').value.trim() } : {}), allowedModels: models.length ? models : ['*'], budgets: dailyBudget($('team-budget').value) };
    await api('/admin/teams', { method: 'POST', body: JSON.stringify(body) });
    $('team-id').value = '';
    $('team-name').value = '';
    $('team-budget').value = '';
    // The header's team picker lists the new team.
    const select = $('team');
    select.append(new Option(body.name ? `${body.name} (${body.id})` : body.id, body.id));
    changed();
  })().catch(fail);
});
