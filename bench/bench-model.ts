/**
 * Which local model a benchmark uses: `EMBED_MODEL` / `EMBED_MODEL_DIR` when set (e.g. all-MiniLM-L6-v2 files
 * placed under `.models/`), else `Xenova/all-MiniLM-L6-v2` if it is present under `.models/`, else the tiny
 * generated test model. Nothing downloads.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTinyModel } from '../scripts/make-tiny-model.js';

export interface BenchModel {
  model: string;
  modelDir: string;
  /** Human description for the report. */
  label: string;
  tiny: boolean;
}

export function benchModel(): BenchModel {
  const envModel = process.env.EMBED_MODEL;
  const envDir = process.env.EMBED_MODEL_DIR;
  if (envModel && envDir) return { model: envModel, modelDir: resolve(envDir), label: `${envModel} (q8)`, tiny: false };
  const minilm = 'Xenova/all-MiniLM-L6-v2';
  if (existsSync(join('.models', minilm, 'onnx', 'model_quantized.onnx'))) {
    return { model: minilm, modelDir: resolve('.models'), label: `${minilm} (q8)`, tiny: false };
  }
  const tiny = makeTinyModel('test/.tmp/models');
  return {
    model: tiny.model,
    modelDir: tiny.modelDir,
    label: `tiny generated test model (${tiny.model}, ${tiny.dimension}-dim bag of random word vectors — NOT a trained model)`,
    tiny: true,
  };
}
