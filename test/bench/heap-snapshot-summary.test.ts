// The idle-memory report names what holds the heap: a real snapshot of this process, summarised by holder.
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summariseSnapshot } from '../../bench/lib/heap-snapshot-summary.js';

describe('heap snapshot summary', () => {
  it('finds a 16 MB ArrayBuffer and a big string among the holders, and totals every node', () => {
    // A flat string (repeat() builds a tree of small cons strings, Buffer#toString an external one).
    const keep = [new ArrayBuffer(16 * 1048576), new Array(1048576).fill('abcd').join('')];
    const file = writeHeapSnapshot(join(tmpdir(), `heap-summary-test-${process.pid}.heapsnapshot`));
    try {
      const r = summariseSnapshot(JSON.parse(readFileSync(file, 'utf8')));
      const groups = new Map(r.groups);
      expect([...groups.entries()].find(([g]) => g.includes('JSArrayBufferData'))![1]).toBeGreaterThanOrEqual(16 * 1048576);
      expect(groups.get('strings')).toBeGreaterThanOrEqual(4 * 1048576);
      expect(r.totalBytes).toBe(r.groups.reduce((n, [, b]) => n + b, 0));
      // Largest first.
      expect(r.groups.every(([, b], i) => i === 0 || b <= r.groups[i - 1]![1])).toBe(true);
    } finally {
      rmSync(file, { force: true });
    }
    expect(keep.length).toBe(2);
  }, 60_000);
});
