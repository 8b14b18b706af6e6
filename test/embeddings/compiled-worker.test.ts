/**
 * The worker must also start from compiled JavaScript (dist/), where no TypeScript loader exists. The sources
 * are transpiled file-by-file (as tsc does for dist/) and a plain `node` process — no tsx, no vitest — embeds.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { expect, it } from 'vitest';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';

const run = promisify(execFile);

it('the local embedder works from compiled JS with the .js worker', async () => {
  const tiny = makeTinyModel('test/.tmp/models');
  const src = resolve('src/embeddings');
  const out = resolve('test/.tmp/dist/src/embeddings');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const { code } = await transform(readFileSync(join(src, f), 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(join(out, f.replace(/\.ts$/, '.js')), code);
  }
  const script = `
    import { createLocalEmbedder } from ${JSON.stringify(join(out, 'embedder.js'))};
    const e = await createLocalEmbedder({ model: ${JSON.stringify(tiny.model)}, modelDir: ${JSON.stringify(tiny.modelDir)} });
    const [v] = await e.embed(['hello from dist']);
    console.log(JSON.stringify({ id: e.id, dimension: e.dimension, length: v.length }));
    await e.close();`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
  expect(JSON.parse(stdout.trim())).toEqual({ id: `local:${tiny.model}:q8`, dimension: tiny.dimension, length: tiny.dimension });
});
