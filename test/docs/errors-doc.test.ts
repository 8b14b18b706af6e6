import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';
import { fromRoot } from '../../src/paths.js';

describe('docs/errors.md', () => {
  const rows = readFileSync(fromRoot('docs', 'errors.md'), 'utf8')
    .split('\n')
    .map((l) => /^\| `([a-z_]+)` \| (\d{3}) \| ([a-z_]+) \|/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], [Number(m[2]), m[3]]] as const);

  it('documents every error code with its status and type, and nothing else', () => {
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERROR_CODES).map(([k, v]) => [k, [...v]])));
    expect(rows.length).toBe(Object.keys(ERROR_CODES).length);
  });
});
