// The semantic cache panel: for the chosen team, what serving similar prompts from the cache would have saved and
// how often it would have been wrong, per similarity band, from the shadow comparisons (GET /dashboard/api/semantic;
// docs/semantic.md "Calibration"). Counts are since the team's embedder started being compared, not the page's range.
import { api, el, row } from './dom.js';

const $ = (id) => document.getElementById(id);
const MODES = {
  shadow: 'shadow: compares, never serves',
  on: 'on: serves calibrated bands',
  off: 'off',
};
let seq = 0;

/** Shows the panel for `team` (a team id; '' for an admin's "All teams": the panel asks for one). */
export async function loadSemantic(team, fmt) {
  const mine = ++seq;
  const panel = $('semantic-panel');
  panel.hidden = false;
  const body = $('semantic-bands').tBodies[0];
  const summary = $('semantic-summary');
  $('semantic-error').textContent = '';
  if (!team) {
    body.textContent = '';
    summary.textContent = 'Choose a team to see its semantic cache calibration.';
    panel.dataset.state = 'no-team';
    return;
  }
  let v;
  try {
    v = await api('/dashboard/api/semantic?team=' + encodeURIComponent(team));
  } catch (err) {
    if (mine !== seq) return;
    body.textContent = '';
    summary.textContent = '';
    $('semantic-error').textContent = `Could not load the semantic cache calibration: ${err.message}`;
    panel.dataset.state = 'error';
    return;
  }
  if (mine !== seq) return; // another team was chosen meanwhile
  const t = v.totals;
  const share = t.samples ? ((100 * t.wrong) / t.samples).toFixed(1) + '%' : '';
  summary.textContent =
    `Semantic layer ${MODES[v.semantic] ?? v.semantic}; serves from similarity ${v.similarityThreshold} in bands with ` +
    `≥ ${fmt.int(v.calibration.minSamples)} comparisons at ≥ ${(v.calibration.precision * 100).toFixed(1)}% agreement. ` +
    (t.samples
      ? `Serving the ${fmt.int(t.samples)} would-be hits compared so far would have saved ${fmt.usd(t.wouldSaveMicros)}; ${fmt.int(t.wrong)} of them (${share}) would have been wrong.`
      : 'No would-be hits compared yet.');
  body.textContent = '';
  for (const b of v.bands) {
    // The same-wording band: prompts the verifier read as the same words in the same roles, at any similarity from its floor.
    const tr = row([b.band === 'same' ? 'same wording' : `≥ ${b.band}`]);
    tr.firstChild.className = 'name';
    tr.firstChild.title = b.embedder;
    tr.append(
      el('td', fmt.int(b.samples), 'num'),
      el('td', fmt.int(b.wrong), 'num' + (b.wrong ? ' warn' : '')),
      el('td', fmt.pct(b.agreement), 'num'),
      el('td', fmt.usd(b.wouldSaveMicros), 'num money'),
      el('td', b.serving ? 'serves' : 'compares only'),
    );
    tr.dataset.band = b.band;
    body.append(tr);
  }
  if (!v.bands.length) body.append(row([el('span', 'No comparisons yet: similar prompts are compared once the semantic layer finds them.', 'muted')]));
  panel.dataset.state = 'ready';
}

export function hideSemantic() {
  seq++;
  $('semantic-panel').hidden = true;
}
