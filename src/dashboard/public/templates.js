// The console's prompt templates panel (docs/templates.md): list the templates the signed-in admin manages, add a
// version (or create the template) from a system and a user message, publish a version, roll back. Everything goes
// through /admin/templates with the same token; the server enforces the roles (a team admin: its own team's).
import { api, el, row, wrapTd } from './dom.js';

const $ = (id) => document.getElementById(id);
let current = { who: null, team: '', known: new Set() };

const fail = (err) => ($('templates-error').textContent = err.message);
const reload = () => loadTemplates(current.who, current.team).catch(fail);

function button(label, onClick, cls = 'secondary') {
  const b = el('button', label, cls);
  b.type = 'button';
  b.addEventListener('click', () => void onClick().then(reload, fail));
  return b;
}

/** Lists the picked team's templates and the global ones (a team admin: its own team's and the global ones). */
export async function loadTemplates(who, team) {
  current = { who, team, known: new Set() };
  $('templates-error').textContent = '';
  const body = $('templates-table').tBodies[0];
  const { data } = await api('/admin/templates');
  body.textContent = '';
  const shown = data.filter((t) => t.team === null || !team || t.team === team);
  for (const t of shown) {
    current.known.add(t.id);
    const name = el('span', t.id);
    name.append(el('span', t.team ? ` team ${t.team}` : ' global', 'muted'));
    const versions = t.versions.map((v) => `v${v.version} ${v.status}`).join(', ');
    const tr = row([name, t.published === null ? '–' : `v${t.published}`, versions, usageCell(t.id)]);
    const actions = el('td', undefined, 'actions');
    // A team admin may not change global templates: no buttons the server would refuse.
    if (t.team !== null || who.role === 'admin') {
      const pick = el('select');
      pick.setAttribute('aria-label', `version of ${t.id}`);
      for (const v of [...t.versions].reverse()) if (v.status !== 'published') pick.append(new Option(`v${v.version}`, String(v.version)));
      if (pick.options.length) actions.append(pick, button('Publish', () => api(`/admin/templates/${encodeURIComponent(t.id)}/versions/${pick.value}/publish`, { method: 'POST', body: '{}' })));
      if (t.history.some((h) => h.version !== t.published)) actions.append(button('Roll back', () => api(`/admin/templates/${encodeURIComponent(t.id)}/rollback`, { method: 'POST', body: '{}' }), 'danger'));
    }
    tr.append(actions);
    tr.dataset.template = t.id;
    body.append(tr);
  }
  if (!shown.length) body.append(row([el('span', 'No templates yet.', 'muted')]));
  $('template-scope').textContent = who.role === 'admin' ? (team ? `new ones for team ${team}` : 'new ones are global') : `team ${who.team}`;
}

/** Requests and cost per version over the last 30 days (a team admin: its team's), filled in when read. */
function usageCell(id) {
  const span = el('span', '…', 'muted');
  api(`/admin/templates/${encodeURIComponent(id)}/usage`).then(
    (u) => {
      span.className = 'usage';
      span.textContent = u.versions.map((v) => `v${v.version}: ${v.requests} req, $${Number(v.costUsd).toFixed(4)}`).join('; ') || 'no requests';
    },
    () => (span.textContent = '–'),
  );
  return span;
}

$('template-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void (async () => {
    const id = $('template-id').value.trim();
    const messages = [];
    if ($('template-system').value.trim()) messages.push({ role: 'system', content: $('template-system').value });
    if ($('template-user').value.trim()) messages.push({ role: 'user', content: $('template-user').value });
    const version = { messages, publish: $('template-publish').checked, ...($('template-model').value.trim() ? { model: $('template-model').value.trim() } : {}) };
    // An id already listed gets a new version; a new id is a new template (of the picked team, or global).
    if (current.known.has(id)) await api(`/admin/templates/${encodeURIComponent(id)}/versions`, { method: 'POST', body: JSON.stringify(version) });
    else await api('/admin/templates', { method: 'POST', body: JSON.stringify({ id, ...(current.team ? { team: current.team } : {}), ...version }) });
    for (const f of ['template-system', 'template-user']) $(f).value = '';
    await reload();
  })().catch(fail);
});
