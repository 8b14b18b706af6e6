// Summarises a V8 .heapsnapshot: live bytes (self size) by what holds them — compiled code, strings, each
// constructor's objects, closures, arrays, native — so "what holds idle RSS" is one command away.
// npx tsx bench/lib/heap-snapshot-summary.ts <file.heapsnapshot> [top=20]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Live bytes by holder, largest first, and the total. Pure. */
export function summariseSnapshot(s: Snapshot): { totalBytes: number; groups: [string, number][] } {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [TYPE, NAME, SIZE] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const groups = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + TYPE]!]!;
    const name = s.strings[s.nodes[i + NAME]!] ?? '';
    const size = s.nodes[i + SIZE]!;
    total += size;
    let g: string;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') g = 'strings';
    else if (type === 'code') g = 'compiled code and bytecode';
    else if (type === 'closure') g = 'closures (functions)';
    else if (type === 'object') g = `objects: ${name.split(' ')[0] || '(anonymous)'}`;
    else if (type === 'array') g = `internal arrays: ${name}`;
    else if (type === 'hidden' || type === 'object shape') g = `V8 internals: ${name.replace(/\s*\/.*$/, '').slice(0, 40)}`;
    else g = `${type}: ${name.slice(0, 40)}`;
    groups.set(g, (groups.get(g) ?? 0) + size);
  }
  return { totalBytes: total, groups: [...groups].sort((a, b) => b[1] - a[1]) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: heap-snapshot-summary.ts <file.heapsnapshot> [top]');
  const r = summariseSnapshot(JSON.parse(readFileSync(file, 'utf8')) as Snapshot);
  const top = Number(process.argv[3] ?? 20);
  console.log(`live heap ${(r.totalBytes / 1048576).toFixed(1)} MiB`);
  for (const [g, b] of r.groups.slice(0, top)) console.log(`${(b / 1048576).toFixed(2).padStart(8)} MiB  ${((b / r.totalBytes) * 100).toFixed(1).padStart(5)} %  ${g}`);
}
