/**
 * Writes a tiny text classifier (BertForSequenceClassification layout: tokenizer files + onnx/model.onnx with
 * `logits` over SAFE / INJECTION, the labels of the public prompt-injection DeBERTa models) that transformers.js
 * loads from a local path, so the `classifier` guard is tested through the real loading and inference code without
 * a download. Its "judgement" is a rule, not learning: the more of its trigger words ("ignore", "previous",
 * "instructions", "jailbreak", "pretend") a text has, the higher its INJECTION probability (logits = mean over the
 * text's tokens of a per-token score table; one trigger word in a short sentence already wins).
 *
 * Usage: `npx tsx scripts/make-tiny-classifier-model.ts [dir]` (default `test/.tmp/models/tiny/classifier`).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { makeTinyModel, TINY_MODEL_ID } from './make-tiny-model.js';

const { onnx } = onnxProto;
export const CLASSIFIER_LABELS = ['SAFE', 'INJECTION'] as const;
export const TRIGGER_WORDS = ['ignore', 'previous', 'instructions', 'jailbreak', 'pretend'] as const;

function buildOnnx(size: number, triggers: number[]): Uint8Array {
  const table = new Float32Array(size * 2);
  for (let i = 0; i < size; i++) table[i * 2] = 1; // SAFE
  for (const id of triggers) table.set([0, 30], id * 2);
  const axes = new BigInt64Array([1n]);
  const last = new BigInt64Array([-1n]);
  const tensor = (name: string, dims: number[], dataType: number, data: ArrayBufferView) =>
    onnx.TensorProto.create({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  const input = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } } });
  const graph = onnx.GraphProto.create({
    name: 'tiny_classifier',
    initializer: [
      tensor('scores', [size, 2], onnx.TensorProto.DataType.FLOAT, table),
      tensor('seq_axis', [1], onnx.TensorProto.DataType.INT64, axes),
      tensor('last_axis', [1], onnx.TensorProto.DataType.INT64, last),
    ],
    node: [
      { opType: 'Gather', input: ['scores', 'input_ids'], output: ['per_token'] },
      { opType: 'Cast', input: ['attention_mask'], output: ['mask_f'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }] },
      { opType: 'Unsqueeze', input: ['mask_f', 'last_axis'], output: ['mask3'] },
      { opType: 'Mul', input: ['per_token', 'mask3'], output: ['masked'] },
      { opType: 'ReduceSum', input: ['masked', 'seq_axis'], output: ['summed'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'ReduceSum', input: ['mask3', 'seq_axis'], output: ['count'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Div', input: ['summed', 'count'], output: ['logits'] },
    ].map((n) => onnx.NodeProto.create(n)),
    input: [input('input_ids'), input('attention_mask'), input('token_type_ids')],
    output: [
      onnx.ValueInfoProto.create({ name: 'logits', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: 2 }] } } } }),
    ],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'ai-gateway make-tiny-classifier-model', opsetImport: [{ domain: '', version: 14 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the model under `dir` unless it is there; returns `dir` (the path to configure). */
export function makeTinyClassifierModel(dir = 'test/.tmp/models/tiny/classifier'): string {
  const root = resolve(dir);
  const done = join(root, 'onnx', 'model.onnx');
  if (existsSync(done)) return root;
  const base = makeTinyModel(join(root, '..', '..', '..', 'models-for-classifier'));
  const src = join(base.modelDir, TINY_MODEL_ID);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  copyFileSync(join(src, 'tokenizer_config.json'), join(root, 'tokenizer_config.json'));
  // The base vocabulary has none of the trigger words: they are appended as whole-word tokens.
  const tokenizer = JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const vocab = tokenizer.model.vocab;
  let next = Object.keys(vocab).length;
  for (const w of TRIGGER_WORDS) vocab[w] ??= next++;
  writeFileSync(join(root, 'tokenizer.json'), JSON.stringify(tokenizer));
  const size = Object.keys(vocab).length;
  writeFileSync(
    join(root, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      architectures: ['BertForSequenceClassification'],
      hidden_size: 2,
      vocab_size: size,
      num_hidden_layers: 0,
      num_attention_heads: 1,
      max_position_embeddings: 128,
      type_vocab_size: 2,
      pad_token_id: 0,
      id2label: Object.fromEntries(CLASSIFIER_LABELS.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(CLASSIFIER_LABELS.map((l, i) => [l, i])),
    }),
  );
  // Atomic: parallel test workers may write it at the same time; the model file marks a complete directory.
  const tmp = `${done}.${process.pid}.tmp`;
  writeFileSync(tmp, buildOnnx(size, TRIGGER_WORDS.map((w) => vocab[w]!)));
  renameSync(tmp, done);
  return root;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`tiny classifier model written to ${makeTinyClassifierModel(process.argv[2])}`);
