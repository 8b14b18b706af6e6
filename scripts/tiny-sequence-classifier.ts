/**
 * What the tiny sequence-classification models share (make-tiny-classifier-model.ts, make-tiny-nli-model.ts): a
 * BertForSequenceClassification layout (tokenizer files + config.json + onnx/model.onnx) that transformers.js
 * loads from a local path, so the code that runs an operator's model is tested without a download. The "model" is
 * a rule written as a score table: `logits` = the mean over the text's tokens of a per-token row of `table`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { makeTinyModel, TINY_MODEL_ID } from './make-tiny-model.js';

const { onnx } = onnxProto;

export interface TinyClassifierSpec {
  /** Model name (in the ONNX graph and the base model's scratch folder). */
  name: string;
  labels: readonly string[];
  /** Words appended to the base vocabulary as whole-word tokens (the base has none of them). */
  extraWords?: readonly string[];
  /** The per-token score table, `vocabSize × labels.length`, row by row. */
  table(vocab: Record<string, number>, size: number): Float32Array;
}

function buildOnnx(spec: TinyClassifierSpec, table: Float32Array, size: number): Uint8Array {
  const n = spec.labels.length;
  const tensor = (name: string, dims: number[], dataType: number, data: ArrayBufferView) =>
    onnx.TensorProto.create({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  const input = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } } });
  const graph = onnx.GraphProto.create({
    name: spec.name.replace(/\W/g, '_'),
    initializer: [
      tensor('scores', [size, n], onnx.TensorProto.DataType.FLOAT, table),
      tensor('seq_axis', [1], onnx.TensorProto.DataType.INT64, new BigInt64Array([1n])),
      tensor('last_axis', [1], onnx.TensorProto.DataType.INT64, new BigInt64Array([-1n])),
    ],
    node: [
      { opType: 'Gather', input: ['scores', 'input_ids'], output: ['per_token'] },
      { opType: 'Cast', input: ['attention_mask'], output: ['mask_f'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }] },
      { opType: 'Unsqueeze', input: ['mask_f', 'last_axis'], output: ['mask3'] },
      { opType: 'Mul', input: ['per_token', 'mask3'], output: ['masked'] },
      { opType: 'ReduceSum', input: ['masked', 'seq_axis'], output: ['summed'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'ReduceSum', input: ['mask3', 'seq_axis'], output: ['count'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Div', input: ['summed', 'count'], output: ['logits'] },
    ].map((node) => onnx.NodeProto.create(node)),
    input: [input('input_ids'), input('attention_mask'), input('token_type_ids')],
    output: [
      onnx.ValueInfoProto.create({ name: 'logits', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: n }] } } } }),
    ],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: `ai-gateway ${spec.name}`, opsetImport: [{ domain: '', version: 14 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Writes the model under `dir` unless it is there; returns the absolute `dir` (the path to configure). The whole
 * directory is written under a temporary name and renamed into place, so parallel test workers never see a
 * half-written one: a worker that loses the race drops its copy and uses the winner's.
 */
export function writeTinySequenceClassifier(dir: string, spec: TinyClassifierSpec): string {
  const root = resolve(dir);
  const done = join(root, 'onnx', 'model.onnx');
  if (existsSync(done)) return root;
  const base = makeTinyModel(join(root, '..', '..', '..', `models-for-${spec.name}`));
  const src = join(base.modelDir, TINY_MODEL_ID);
  const tmp = `${root}.${process.pid}.${Date.now()}.tmp`;
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  try {
    copyFileSync(join(src, 'tokenizer_config.json'), join(tmp, 'tokenizer_config.json'));
    const tokenizer = JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    const vocab = tokenizer.model.vocab;
    let next = Object.keys(vocab).length;
    for (const w of spec.extraWords ?? []) vocab[w] ??= next++;
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer));
    const size = Object.keys(vocab).length;
    writeFileSync(
      join(tmp, 'config.json'),
      JSON.stringify({
        model_type: 'bert',
        architectures: ['BertForSequenceClassification'],
        hidden_size: spec.labels.length,
        vocab_size: size,
        num_hidden_layers: 0,
        num_attention_heads: 1,
        max_position_embeddings: 128,
        type_vocab_size: 2,
        pad_token_id: 0,
        id2label: Object.fromEntries(spec.labels.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(spec.labels.map((l, i) => [l, i])),
      }),
    );
    writeFileSync(join(tmp, 'onnx', 'model.onnx'), buildOnnx(spec, spec.table(vocab, size), size));
    publish(tmp, root, done);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

/** Renames the complete `tmp` to `root`, unless another writer got there first (then its copy is used). */
function publish(tmp: string, root: string, done: string): void {
  mkdirSync(dirname(root), { recursive: true });
  try {
    renameSync(tmp, root);
  } catch (err) {
    if (existsSync(done)) return; // another worker won the race
    if (!existsSync(root)) throw err;
    // A directory without a model file (left by a writer that died, or by an older non-atomic version): replace it.
    rmSync(root, { recursive: true, force: true });
    try {
      renameSync(tmp, root);
    } catch (again) {
      if (!existsSync(done)) throw again;
    }
  }
}
