/** The per-template series: labels, cost in USD, and the cardinality bound on template ids (500, then `other`). */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { createRequestContext } from '../../src/pipeline/context.js';
import { recordTemplateMetrics } from '../../src/templates/template-metrics.js';

const finished = (status: number, costMicros?: number) => Object.assign(createRequestContext('r'), { status, costMicros });

describe('gateway_template_* series', () => {
  it('counts requests by template, version and status, and cost by template and version', async () => {
    const m = createMetrics({ defaultMetrics: false });
    recordTemplateMetrics(m, finished(200, 1500), { id: 'faq', version: 3 });
    recordTemplateMetrics(m, finished(200, 500), { id: 'faq', version: 3 });
    recordTemplateMetrics(m, finished(400), { id: 'faq', version: 3 });
    const text = await m.render();
    expect(text).toContain('gateway_template_requests_total{template="faq",version="3",status="200"} 2');
    expect(text).toContain('gateway_template_requests_total{template="faq",version="3",status="400"} 1');
    expect(text).toContain('gateway_template_cost_usd_total{template="faq",version="3"} 0.002');
  });

  it('keeps the first 500 template ids; later ones share template="other" (and version="other")', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 520; i++) recordTemplateMetrics(m, finished(200, 1), { id: `t${i}`, version: i });
    const text = await m.render();
    expect(text).toContain('gateway_template_requests_total{template="t499",version="499",status="200"} 1');
    expect(text).not.toContain('template="t500"');
    expect(text).toContain('gateway_template_requests_total{template="other",version="other",status="200"} 20');
  });
});
