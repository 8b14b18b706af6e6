// Time-series charts with uPlot (global `uPlot`, served from the npm package). One chart per container;
// charts follow their container's width (laptop and phone).
const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
const charts = new Map();

/** Draws (or redraws) a chart of `series` (name → values aligned on `buckets`, epoch ms). */
export function drawChart(container, buckets, series, { unit = '', scale = 1 } = {}) {
  charts.get(container)?.destroy();
  container.textContent = '';
  const names = Object.keys(series).sort();
  const totals = names.map((n) => series[n].reduce((a, b) => a + b, 0) / scale);
  container.dataset.series = names.join(',');
  container.dataset.totals = totals.map((t) => +t.toFixed(6)).join(',');
  if (names.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted empty';
    p.textContent = 'No usage in this range.';
    container.append(p);
    return;
  }
  const data = [buckets.map((b) => b / 1000), ...names.map((n) => series[n].map((v) => v / scale))];
  const fmt = (v) => (v == null ? '–' : unit === '$' ? '$' + v.toFixed(v !== 0 && Math.abs(v) < 0.1 ? 4 : 2) : Math.round(v).toLocaleString('en-US'));
  const opts = {
    width: Math.max(260, container.clientWidth),
    height: 220,
    series: [
      {},
      ...names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length], fill: PALETTE[i % PALETTE.length] + '22', width: 2, value: (_u, v) => fmt(v), points: { show: buckets.length <= 48 } })),
    ],
    axes: [{}, { values: (_u, ticks) => ticks.map(fmt), size: 70 }],
    // Buckets are UTC hours / days: label them in UTC (in local time a day's bucket reads e.g. "Dec 2, 4pm").
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const chart = new uPlot(opts, data, container);
  charts.set(container, chart);
}

// Follow the container width (layout changes, phone rotation).
const resize = new ResizeObserver((entries) => {
  for (const e of entries) {
    const chart = charts.get(e.target);
    if (chart) chart.setSize({ width: Math.max(260, e.target.clientWidth), height: 220 });
  }
});
export function watchResize(container) {
  resize.observe(container);
}
