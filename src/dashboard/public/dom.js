// DOM and API helpers shared by the spend view (app.js) and the console (console.js).

/** sessionStorage key of the signed-in token (gone when the tab closes; never in a URL). */
export const TOKEN = 'gateway-dashboard-token';

export async function api(path, init = {}) {
  const headers = { authorization: 'Bearer ' + sessionStorage.getItem(TOKEN), ...(init.body ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(path, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.error?.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
export function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(c instanceof Node ? wrapTd(c) : el('td', String(c)));
  return tr;
}
export function wrapTd(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}
