/**
 * The local embedder survives the death of its worker process: calls it held are rejected at once (never left
 * hanging), one warning is logged per crash, a new worker is started with backoff, and embeds work again.
 * Real worker + transformers.js on the tiny generated model (nothing downloads).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalEmbedder, type Embedder } from '../../src/embeddings/embedder.js';
import { workerOf } from '../../src/embeddings/local-embedder.js';
import { makeTinyModel } from '../../scripts/make-tiny-model.js';

const tiny = makeTinyModel('test/.tmp/models');

function recordingLogger() {
  const lines: { level: 'warn' | 'info'; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
  };
}

async function until(ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('local embedder worker restart', () => {
  let e: Embedder | undefined;
  afterEach(async () => {
    await e?.close();
    e = undefined;
  });

  it('rejects the calls a killed worker held, restarts it, and embeds again', async () => {
    const log = recordingLogger();
    e = await createLocalEmbedder({ model: tiny.model, modelDir: tiny.modelDir, batchSize: 8, restartDelayMs: 50 }, log);
    const [before] = await e.embed(['How do I fix my desk?']);

    // 40 calls: the first batch is in the worker, the rest queued behind it, when the worker is killed.
    const pending = Array.from({ length: 40 }, (_, i) => e!.embed([`question ${i}`]));
    const settled = Promise.allSettled(pending);
    workerOf.get(e)!()!.kill('SIGKILL');
    const results = await settled;
    // Every call settles. The batch in the worker may still have been answered before it died (a correct answer);
    // every call still waiting is rejected with the reason.
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(40 - 8);
    for (const r of rejected) expect(String(r.reason)).toMatch(/embedding worker died \(signal SIGKILL\); restarting/);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value[0]).toHaveLength(before!.length);

    // While it restarts, calls fail fast instead of waiting.
    await expect(e.embed(['too early'])).rejects.toThrow(/restarting/);

    await until(() => workerOf.get(e!)!() !== null);
    const [after] = await e.embed(['How do I fix my desk?']);
    expect(Array.from(after!)).toEqual(Array.from(before!));
    expect(await e.embed(Array.from({ length: 20 }, (_, i) => `again ${i}`))).toHaveLength(20);

    // One warning for the crash (not one per rejected call), one line when it is back.
    expect(log.lines.map((l) => `${l.level}: ${l.msg}`)).toEqual([
      'warn: embedding worker died; semantic features paused until it is restarted',
      'info: embedding worker restarted',
    ]);
    expect(log.lines[0]!.obj).toMatchObject({ embedder: e.id, reason: 'signal SIGKILL', restartInMs: 50 });
  });

  it('recovers from an uncaught exception in the worker, with a longer delay for a repeated crash', async () => {
    const log = recordingLogger();
    e = await createLocalEmbedder({ model: tiny.model, modelDir: tiny.modelDir, restartDelayMs: 50 }, log);
    for (const expectedDelay of [50, 100]) {
      // A malformed message makes the worker's message handler throw: a real crash; its error is the reason.
      workerOf.get(e)!()!.send(null as never);
      await until(() => workerOf.get(e!)!() === null);
      await until(() => workerOf.get(e!)!() !== null);
      expect((await e.embed(['hello']))[0]).toHaveLength(tiny.dimension);
      const warn = log.lines.filter((l) => l.level === 'warn').at(-1)!;
      expect(warn.obj.reason).toMatch(/^TypeError: .*null/);
      expect(warn.obj.restartInMs).toBe(expectedDelay);
    }
  });

  it('kills and restarts a worker that stops answering, rejecting its calls instead of leaving them hanging', async () => {
    const log = recordingLogger();
    e = await createLocalEmbedder({ model: tiny.model, modelDir: tiny.modelDir, restartDelayMs: 50, embedTimeoutMs: 500 }, log);
    const w = workerOf.get(e)!()!;
    w.kill('SIGSTOP'); // alive but never answering, as a worker stuck in a native call
    const started = Date.now();
    const outcome = await Promise.race([
      e.embed(['hello']).then(
        () => 'answered',
        (err: unknown) => String(err),
      ),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5_000)),
    ]);
    expect(outcome).toMatch(/embedding worker died \(no answer within 500 ms, killed\); restarting/);
    expect(Date.now() - started).toBeLessThan(3_000);
    await until(() => workerOf.get(e!)!() !== null);
    expect((await e.embed(['hello']))[0]).toHaveLength(tiny.dimension);
    expect(log.lines[0]).toMatchObject({ level: 'warn', obj: { reason: 'no answer within 500 ms, killed' } });
  });

  it('a model changed on disk to another dimension stays down, without leaving a loaded worker behind per retry', async () => {
    const log = recordingLogger();
    const dir = mkdtempSync(join(resolve('test/.tmp'), 'model-swap-'));
    const modelPath = join(dir, tiny.model);
    cpSync(join(tiny.modelDir, tiny.model), modelPath, { recursive: true });
    const other = makeTinyModel('test/.tmp/models-16', 16);
    // Live embed-worker children of this process, from /proc (no `ps` needed).
    const workers = () =>
      readdirSync('/proc').filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('embed-worker');
        } catch {
          return false; // not a process, or gone
        }
      }).length;
    try {
      e = await createLocalEmbedder({ model: tiny.model, modelDir: dir, restartDelayMs: 20 }, log);
      expect(workers()).toBe(1);
      rmSync(modelPath, { recursive: true });
      cpSync(join(other.modelDir, other.model), modelPath, { recursive: true });
      workerOf.get(e)!()!.kill('SIGKILL');
      await until(() => log.lines.filter((l) => l.msg === 'embedding worker failed to restart').length >= 3);
      expect(log.lines.find((l) => l.msg === 'embedding worker failed to restart')!.obj.reason).toBe(`model now produces 16 dimensions instead of ${tiny.dimension}`);
      await expect(e.embed(['x'])).rejects.toThrow(/restarting/);
      // Each retry loaded the new model in a worker of its own; every one of them must have been stopped.
      await until(() => workers() <= 1, 10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not restart after close', async () => {
    const log = recordingLogger();
    const own = await createLocalEmbedder({ model: tiny.model, modelDir: tiny.modelDir, restartDelayMs: 50 }, log);
    const w = workerOf.get(own)!()!;
    await own.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(log.lines).toEqual([]);
    expect(w.exitCode).toBe(0); // asked to exit, not killed
    await expect(own.embed(['x'])).rejects.toThrow(/closed/);
  });
});
