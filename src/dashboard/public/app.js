// The spend dashboard: signs in with a gateway key or the admin token (kept in sessionStorage), then renders
// /dashboard/api/summary. All figures come from the server, already scoped to what this token may see.
import { drawChart, watchResize } from './charts.js';

const $ = (id) => document.getElementById(id);
const TOKEN = 'gateway-dashboard-token';
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
const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'never');

async function api(path) {
  const res = await fetch(path, { headers: { authorization: 'Bearer ' + sessionStorage.getItem(TOKEN) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.error?.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(c instanceof Node ? wrapTd(c) : el('td', String(c)));
  return tr;
}
function wrapTd(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}
function num(text) {
  return el('td', text, 'num');
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
  $('who').textContent = me.role === 'admin' ? 'admin · all teams' : `team ${me.team}`;
  const select = $('team');
  select.textContent = '';
  if (me.role === 'admin') select.append(new Option('All teams', ''));
  for (const t of me.teams) select.append(new Option(t.name === t.id ? t.id : `${t.name} (${t.id})`, t.id));
  select.disabled = me.role !== 'admin';
  await refresh();
}

async function refresh() {
  const params = new URLSearchParams({ days: $('days').value });
  if ($('team').value) params.set('team', $('team').value);
  let s;
  try {
    s = await api('/dashboard/api/summary?' + params);
    $('board-error').textContent = '';
  } catch (err) {
    $('board-error').textContent = err.message;
    if (err.status === 401) return signOut();
    return;
  }
  render(s);
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
      const tr = row([b.team, `${b.scope.startsWith('key:') ? 'key ' : 'team '}${b.name}`, b.period, fmt(limit), fmt(spent), fmt(remaining), meter, b.resetsAt ? when(b.resetsAt) : 'never (lifetime)']);
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
    const tr = row([name, k.team]);
    tr.append(num(int(k.requests)), num(int(k.totalTokens)), num(usd(k.costMicros)));
    tr.dataset.key = k.id;
    keys.append(tr);
  }
  const models = $('models').tBodies[0];
  models.textContent = '';
  for (const m of s.models) {
    const tr = row([m.model]);
    tr.append(num(int(m.requests)), num(int(m.totalTokens)), num(usd(m.costMicros)));
    tr.dataset.model = m.model;
    models.append(tr);
  }
  $('range-note').textContent = `${utc(s.from)} – ${utc(s.to)} UTC, by ${s.granularity} (UTC, like the usage API). Spend, tokens and rates from the usage ledger (all replicas); latency from ${s.latency.source} (${int(s.latency.count)} requests).`;
  document.body.dataset.ready = 'true';
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  me = null;
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
$('team').addEventListener('change', refresh);
$('days').addEventListener('change', refresh);
for (const id of ['chart-spend-team', 'chart-spend-model', 'chart-tokens-model']) watchResize($(id));
window.addEventListener('load', () => {
  const saved = sessionStorage.getItem(TOKEN);
  if (saved) void signIn(saved);
});
