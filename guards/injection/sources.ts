/**
 * The labelled training data, one group per public source: `../shared/datasets/prompt-injection/train.jsonl`
 * (deepset) and the files of `extra/` (see its README for licences and labelling rules). Validation splits by
 * source, so a figure says how the detector does on a source it has never seen.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fromShared } from '../../src/paths.js';
import type { LabelledText } from './train.js';

export interface SourcedText extends LabelledText {
  source: string;
  lang?: string;
}

export function loadSources(dir = fromShared('datasets/prompt-injection')): SourcedText[] {
  const parse = (path: string, source?: string): SourcedText[] =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const r = JSON.parse(l) as { text: string; label: 0 | 1; source?: string; lang?: string };
        return { text: r.text, label: r.label, source: source ?? r.source ?? 'unknown', lang: r.lang };
      });
  const rows = parse(`${dir}/train.jsonl`, 'deepset');
  for (const f of readdirSync(`${dir}/extra`).filter((f) => f.endsWith('.jsonl')).sort()) {
    rows.push(...parse(`${dir}/extra/${f}`, f.replace(/\.jsonl$/, '')));
  }
  return rows;
}
