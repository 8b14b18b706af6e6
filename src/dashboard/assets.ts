/**
 * The dashboard's static files, read once at start: the page, its script and style from `public/`, and uPlot
 * (chart library) from its npm package — so the page works offline and behind a strict CSP.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fromRoot } from '../paths.js';

export interface DashboardAssets {
  html: Buffer;
  /** File name → body and content type, served under /dashboard/assets/. */
  files: ReadonlyMap<string, { body: Buffer; type: string }>;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export function loadDashboardAssets(): DashboardAssets {
  const pub = fromRoot('src', 'dashboard', 'public');
  const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
  const files = new Map<string, { body: Buffer; type: string }>([
    ['app.js', { body: readFileSync(join(pub, 'app.js')), type: JS }],
    ['charts.js', { body: readFileSync(join(pub, 'charts.js')), type: JS }],
    ['console.js', { body: readFileSync(join(pub, 'console.js')), type: JS }],
    ['dom.js', { body: readFileSync(join(pub, 'dom.js')), type: JS }],
    ['templates.js', { body: readFileSync(join(pub, 'templates.js')), type: JS }],
    ['semantic.js', { body: readFileSync(join(pub, 'semantic.js')), type: JS }],
    ['app.css', { body: readFileSync(join(pub, 'app.css')), type: CSS }],
    ['uplot.js', { body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')), type: JS }],
    ['uplot.css', { body: readFileSync(join(uplotDir, 'uPlot.min.css')), type: CSS }],
  ]);
  return { html: readFileSync(join(pub, 'index.html')), files };
}
