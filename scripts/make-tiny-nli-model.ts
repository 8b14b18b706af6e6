/**
 * Writes a tiny NLI cross-encoder (BertForSequenceClassification layout: tokenizer files + onnx/model.onnx with
 * `logits` over contradiction / entailment / neutral) that transformers.js loads from a local path, so the
 * semantic cache's optional NLI verifier is tested through the real loading and inference code without a
 * download. Its "judgement" is a rule, not learning: a pair containing "not" or "no" is a contradiction,
 * anything else an entailment (logits = mean over the pair's tokens of a per-token score table).
 *
 * Usage: `npx tsx scripts/make-tiny-nli-model.ts [dir]` (default `test/.tmp/models/tiny/nli`).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { makeTinyModel, TINY_MODEL_ID } from './make-tiny-model.js';

const { onnx } = onnxProto;
export const NLI_LABELS = ['contradiction', 'entailment', 'neutral'] as const;

function buildOnnx(vocab: Record<string, number>): Uint8Array {
  const size = Object.keys(vocab).length;
  const table = new Float32Array(size * 3);
  for (let i = 0; i < size; i++) table[i * 3 + 1] = 1; // entailment
  for (const w of ['not', 'no']) if (vocab[w] !== undefined) table.set([40, 0, 0], vocab[w]! * 3);
  const axes = new BigInt64Array([1n]);
  const last = new BigInt64Array([-1n]);
  const tensor = (name: string, dims: number[], dataType: number, data: ArrayBufferView) =>
    onnx.TensorProto.create({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  const input = (name: string) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } } });
  const graph = onnx.GraphProto.create({
    name: 'tiny_nli',
    initializer: [
      tensor('scores', [size, 3], onnx.TensorProto.DataType.FLOAT, table),
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
      onnx.ValueInfoProto.create({ name: 'logits', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: 3 }] } } } }),
    ],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'ai-gateway make-tiny-nli-model', opsetImport: [{ domain: '', version: 14 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the model under `dir` unless it is there; returns `dir` (the path to configure). */
export function makeTinyNliModel(dir = 'test/.tmp/models/tiny/nli'): string {
  const root = resolve(dir);
  const done = join(root, 'onnx', 'model.onnx');
  if (existsSync(done)) return root;
  const base = makeTinyModel(join(root, '..', '..', '..', 'models-for-nli'));
  const src = join(base.modelDir, TINY_MODEL_ID);
  mkdirSync(join(root, 'onnx'), { recursive: true });
  copyFileSync(join(src, 'tokenizer.json'), join(root, 'tokenizer.json'));
  copyFileSync(join(src, 'tokenizer_config.json'), join(root, 'tokenizer_config.json'));
  const vocab = (JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  writeFileSync(
    join(root, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      architectures: ['BertForSequenceClassification'],
      hidden_size: 3,
      vocab_size: Object.keys(vocab).length,
      num_hidden_layers: 0,
      num_attention_heads: 1,
      max_position_embeddings: 128,
      type_vocab_size: 2,
      pad_token_id: 0,
      id2label: Object.fromEntries(NLI_LABELS.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(NLI_LABELS.map((l, i) => [l, i])),
    }),
  );
  // Atomic: parallel test workers may write it at the same time; the model file marks a complete directory.
  const tmp = `${done}.${process.pid}.tmp`;
  writeFileSync(tmp, buildOnnx(vocab));
  renameSync(tmp, done);
  return root;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`tiny NLI model written to ${makeTinyNliModel(process.argv[2])}`);
