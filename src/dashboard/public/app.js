// The spend dashboard and console: signs in with a gateway key or the admin token (kept in sessionStorage), then
// renders /dashboard/api/summary; gateway admins and team admins also get the console (teams, keys, audit trail)
// through the admin API with the same token. Every figure comes from the server, already scoped to the token.
import { drawChart, watchResize } from './charts.js';
import { loadConsole, showConsole } from './console.js';
import { api, el, row, TOKEN, wrapTd } from './dom.js';
import { hideSemantic, loadSemantic } from './semantic.js';

const $ = (id) => document.getElementById(id);
let me = null;

const usd = (micros) => {
  const v = micros / 1e6;
  // Cents from a cent up; below, enough digits that a non-zero spend (a few micro-dollars) never reads $0.0000.
  const a = Math.abs(v);
  const digits = a >= 0.01 || v === 0 ? 2 : a >= 0.0001 ? 4 : 6;
  return (v < 0 ? '-$' : '$') + a.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const int = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));
const pct = (r) => (r == null ? '–' : (r * 100).toFixed(1) + '%');
const ms = (v) => (v == null ? '–' : v < 1000 ? Math.round(v) + ' ms' : (v / 1000).toFixed(2) + ' s');
// Buckets are UTC hours and days (the ledger's): the range and the charts are shown in UTC, so a day's bar is
// that UTC day's, as in /admin/usage, whatever the browser's time zone.
const utc = (iso) => iso.slice(0, 16).replace('T', ' ');
// Budget resets are UTC period boundaries, shown in UTC like everything else on the page.
const when = (iso) => (iso ? utc(iso) : 'never');
const REFRESH_MS = 60_000;
// Plain words for the most common causes (the code stays next to them, as in the API's error answers).
const CAUSES = {
  budget_exceeded: 'Budget used up',
  rate_limit_exceeded: 'Rate limit',
  provider_error: 'Provider error',
  model_not_allowed: 'Model not allowed',
  model_not_found: 'Unknown model',
  invalid_request: 'Invalid request',
  prompt_denied: 'Prompt guard',
  pii_detected: 'PII guard',
  prompt_injection_detected: 'Injection guard',
  topic_denied: 'Topic guard',
};
let timer = null;

function num(text, cls = '') {
  return el('td', text, 'num' + (cls ? ' ' + cls : ''));
}
function opt(text) {
  return el('td', text, 'opt');
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN, token);
  try {
    me = await api('/dashboard/api/me');
  } catch (err) {
    sessionStorage.removeItem(TOKEN);
    $('signin-error').textContent = err.status === 401 ? 'That key or token was not accepted.' : err.message;
    return;
  }
  $('signin-error').textContent = '';
  $('signin').hidden = true;
  $('board').hidden = false;
  $('controls').hidden = false;
  $('who').textContent = me.role === 'admin' ? 'gateway admin · all teams' : `${me.role === 'team_admin' ? 'team admin' : 'viewer'} · team ${me.team}`;
  const select = $('team');
  select.textContent = '';
  if (me.role === 'admin') select.append(new Option('All teams', ''));
  for (const t of me.teams) select.append(new Option(t.name === t.id ? t.id : `${t.name} (${t.id})`, t.id));
  select.disabled = me.role !== 'admin';
  showConsole(me);
  await refresh();
  clearInterval(timer);
  // Auto-refresh while the tab is visible (a hidden tab does not poll).
  timer = setInterval(() => {
    if (document.visibilityState === 'visible' && me) void refresh();
  }, REFRESH_MS);
}

/** The range the controls ask for: a preset number of days, or whole UTC dates. */
function rangeParams() {
  const p = new URLSearchParams();
  if ($('days').value === 'custom') {
    if ($('from').value) p.set('from', $('from').value);
    if ($('to').value) p.set('to', $('to').value);
  } else p.set('days', $('days').value);
  if ($('team').value) p.set('team', $('team').value);
  if ($('key').value) p.set('key', $('key').value);
  return p;
}

let seq = 0;
async function refresh() {
  const mine = ++seq;
  document.body.dataset.state = 'loading';
  let s;
  try {
    s = await api('/dashboard/api/summary?' + rangeParams());
  } catch (err) {
    if (mine !== seq) return;
    if (err.status === 401) return signOut();
    // Honest error state: no figures from an earlier range stay on screen under the new one.
    clearBoard();
    $('board-error').textContent = `Could not load this range: ${err.message}`;
    document.body.dataset.state = 'error';
    return;
  }
  if (mine !== seq) return; // a later refresh (another range) was started: its answer wins
  $('board-error').textContent = '';
  render(s);
  keyPicker(s.keys);
  document.body.dataset.state = 'ready';
  void loadConsole(me, $('team').value);
  void loadSemantic($('team').value || (me.role === 'admin' ? '' : me.team), { usd, int, pct });
}

function keyPicker(keys) {
  const select = $('key');
  const chosen = select.value;
  select.textContent = '';
  select.append(new Option('All keys', ''));
  for (const k of keys) select.append(new Option(`${k.name} (${k.prefix}…)${k.revoked ? ' · revoked' : ''}`, k.id));
  select.value = keys.some((k) => k.id === chosen) ? chosen : '';
  select.disabled = keys.length === 0;
}

function clearBoard() {
  for (const e of document.querySelectorAll('#board .big, #board .lat b')) e.textContent = '–';
  for (const id of ['fig-tokens-split', 'fig-saved', 'fig-errors']) $(id).textContent = '–';
  for (const t of ['budgets', 'top-keys', 'models', 'apis', 'tags', 'end-users', 'refusals']) $(t).tBodies[0].textContent = '';
  for (const id of ['chart-spend-team', 'chart-spend-model', 'chart-tokens-model']) drawChart($(id), [], {});
  $('range-note').textContent = '';
  delete document.body.dataset.ready;
}

async function downloadCsv() {
  // Fetched with the token (never put in a URL), then saved from a blob.
  const res = await fetch('/dashboard/api/usage.csv?' + rangeParams(), { headers: { authorization: 'Bearer ' + sessionStorage.getItem(TOKEN) } });
  if (!res.ok) {
    $('board-error').textContent = 'CSV export failed: ' + ((await res.json().catch(() => ({})))?.error?.message ?? res.status);
    return;
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'spend.csv';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function render(s) {
  const t = s.totals;
  $('fig-spend').textContent = usd(t.costMicros);
  $('fig-tokens').textContent = int(t.totalTokens);
  // Cached prompt tokens are part of "in" (as in the usage ledger), billed at the cached price.
  $('fig-tokens-split').textContent = `${int(t.promptTokens)} in${t.cachedTokens ? ` (${int(t.cachedTokens)} cached)` : ''} · ${int(t.completionTokens)} out`;
  $('fig-requests').textContent = int(t.requests);
  $('fig-cache-rate').textContent = pct(s.rates.cacheHitRate);
  $('fig-saved').textContent = usd(t.savedMicros);
  $('fig-error-rate').textContent = pct(s.rates.errorRate);
  $('fig-errors').textContent = int(t.errors);
  $('fig-guard-blocks').textContent = int(t.guardBlocks);
  $('fig-p50').textContent = ms(s.latency.p50);
  $('fig-p90').textContent = ms(s.latency.p90);
  $('fig-p99').textContent = ms(s.latency.p99);

  drawChart($('chart-spend-team'), s.buckets, s.charts.spendByTeam, { unit: '$', scale: 1e6 });
  drawChart($('chart-spend-model'), s.buckets, s.charts.spendByModel, { unit: '$', scale: 1e6 });
  drawChart($('chart-tokens-model'), s.buckets, s.charts.tokensByModel);

  const budgets = $('budgets').tBodies[0];
  budgets.textContent = '';
  for (const b of s.budgets) {
    for (const kind of ['usd', 'tokens']) {
      const limit = kind === 'usd' ? b.limitMicros : b.limitTokens;
      if (limit == null) continue;
      const spent = kind === 'usd' ? b.spentMicros : b.spentTokens;
      const remaining = kind === 'usd' ? b.remainingMicros : b.remainingTokens;
      const fmt = kind === 'usd' ? usd : int;
      const use = limit > 0 ? Math.min(1, spent / limit) : 1;
      const meter = el('div', undefined, 'meter' + (use >= 0.9 ? ' hot' : use >= 0.75 ? ' warm' : ''));
      meter.append(el('span'));
      meter.firstChild.style.width = (use * 100).toFixed(1) + '%';
      meter.title = pct(use);
      const tr = row([]);
      tr.append(opt(b.team), el('td', `${b.scope.startsWith('key:') ? 'key ' : 'team '}${b.name}`, 'name'), el('td', b.period));
      tr.append(num(fmt(limit), 'opt'), num(fmt(spent), 'money'), num(fmt(remaining), 'money'));
      const useCell = wrapTd(meter);
      useCell.className = 'opt';
      tr.append(useCell, opt(b.resetsAt ? when(b.resetsAt) : 'never (lifetime)'));
      tr.dataset.scope = b.scope;
      tr.dataset.kind = kind;
      budgets.append(tr);
    }
  }
  if (!budgets.rows.length) budgets.append(row([el('span', 'No budgets set.', 'muted')]));

  const keys = $('top-keys').tBodies[0];
  keys.textContent = '';
  for (const k of s.topKeys) {
    const name = el('span', k.name);
    name.append(el('span', ' ' + k.prefix + '…', 'muted mono'));
    const tr = row([name]);
    tr.firstChild.className = 'name';
    tr.append(opt(k.team), num(int(k.requests)), num(int(k.totalTokens), 'opt'), num(usd(k.costMicros), 'money'));
    tr.dataset.key = k.id;
    keys.append(tr);
  }
  const models = $('models').tBodies[0];
  models.textContent = '';
  for (const m of s.models) {
    const tr = row([m.model]);
    tr.firstChild.className = 'name';
    tr.append(num(int(m.requests)), num(int(m.totalTokens), 'opt'), num(usd(m.costMicros), 'money'));
    tr.dataset.model = m.model;
    models.append(tr);
  }
  // Spend by API and by end user: same columns as the models table.
  for (const [id, list, field, empty] of [['apis', s.apis, 'api', 'No requests in this range.'], ['end-users', s.endUsers, 'user', 'No end users named (the `user` parameter) in this range.'], ['tags', s.tags, 'tag', 'No tags in this range (state.usageTag names the metadata key recorded).']]) {
    const body = $(id).tBodies[0];
    body.textContent = '';
    for (const x of list) {
      const tr = row([x[field]]);
      tr.firstChild.className = 'name';
      tr.append(num(int(x.requests)), num(int(x.totalTokens), 'opt'), num(usd(x.costMicros), 'money'));
      tr.dataset[field] = x[field];
      body.append(tr);
    }
    if (!list.length) body.append(row([el('span', empty, 'muted')]));
  }
  const refusals = $('refusals').tBodies[0];
  refusals.textContent = '';
  for (const r of s.refusals) {
    const label = (CAUSES[r.cause] ? `${CAUSES[r.cause]} (${r.cause})` : r.cause) + (r.provider ? ` at ${r.provider}` : '');
    const tr = row([label]);
    tr.firstChild.className = 'name';
    tr.append(num(int(r.requests)));
    tr.dataset.cause = r.cause;
    refusals.append(tr);
  }
  if (!s.refusals.length) refusals.append(row([el('span', 'None in this range.', 'muted')]));
  $('range-note').textContent = `${utc(s.from)} – ${utc(s.to)} UTC, by ${s.granularity} (UTC, like the usage API). Spend, tokens and rates from the usage ledger (all replicas); latency from ${s.latency.source} (${int(s.latency.count)} requests).`;
  document.body.dataset.ready = 'true';
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  me = null;
  clearInterval(timer);
  showConsole(null);
  hideSemantic();
  $('board').hidden = true;
  $('controls').hidden = true;
  $('signin').hidden = false;
  delete document.body.dataset.ready;
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($('token').value.trim());
});
$('signout').addEventListener('click', signOut);
$('team').addEventListener('change', () => {
  $('key').value = '';
  void refresh();
});
$('key').addEventListener('change', refresh);
$('days').addEventListener('change', () => {
  const custom = $('days').value === 'custom';
  $('custom-range').hidden = !custom;
  if (custom && !$('from').value) {
    const today = new Date().toISOString().slice(0, 10);
    $('to').value = today;
    $('from').value = new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10);
  }
  void refresh();
});
for (const id of ['from', 'to']) $(id).addEventListener('change', refresh);
$('csv').addEventListener('click', () => void downloadCsv());
document.addEventListener('console-changed', () => void refresh());
for (const id of ['chart-spend-team', 'chart-spend-model', 'chart-tokens-model']) watchResize($(id));
window.addEventListener('load', () => {
  const saved = sessionStorage.getItem(TOKEN);
  if (saved) void signIn(saved);
});
