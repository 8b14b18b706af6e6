/**
 * Writes a tiny BERT-like sentence-embedding model in the exact on-disk layout transformers.js loads from a
 * local model directory, so tests exercise the REAL local embedding path (tokenizer + ONNX Runtime + pooling)
 * without downloading anything.
 *
 * Layout: `<root>/<modelId>/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx,
 * onnx/model_quantized.onnx}`. The graph is `last_hidden_state = (E[input_ids] + T[token_type_ids]) * mask`,
 * with E and T drawn from a seeded PRNG, so the output is deterministic across runs and machines. Because the
 * "model" is a bag of (sub)word vectors, sentences sharing words score higher than unrelated ones — enough to
 * assert semantic behaviour in tests; it is no substitute for a trained model in quality figures.
 * `model_quantized.onnx` is the same fp32 graph (the default `quantized: true` option loads that file name).
 *
 * Usage: `npx tsx scripts/make-tiny-model.ts [rootDir]` (default `test/.tmp/models`).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync as writeRaw } from 'node:fs';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { seededRandom as prng } from '../src/util/seeded-random.js';

const { onnx } = onnxProto;

/** Atomic write (temp file + rename): parallel test workers may generate the model at the same time. */
function writeFileSync(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeRaw(tmp, data);
  renameSync(tmp, path);
}

export const TINY_MODEL_ID = 'tiny/bert-bow';
export const TINY_MODEL_DIMENSION = 32;

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
// Common English words, so whole words map to one vector and the model behaves like a bag of words.
const WORDS = `the of and to a in is it you that he was for on are with as i his they be at one have this from
or had by hot but some what there we can out other were all your when up use word how said an each she which do
their time if will way about many then them would write like so these her long make thing see him two has look
more day could go come did my sound no most number who over know water than call first people may down side been
now find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form much great think say help low line before turn cause same mean
differ move right boy old too does tell sentence set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light kind off need house
picture try us again animal point mother world near build self earth father head stand own page should country
found answer school grow study still learn plant cover food sun four thought let keep eye never last door between
city tree cross since hard start might story saw far sea draw left late run don't while press close night real life
few stop open seem together next white children begin got walk example ease paper often always music those both
mark book letter until mile river car feet care second group carry took rain eat room friend began idea fish
mountain north once base hear horse cut sure watch color face wood main enough plain girl usual young ready above
ever red list though feel talk bird soon body dog family direct pose leave song measure state product black short
numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass farm
top whole king size heard best hour better true during hundred am remember step early hold west ground interest
reach fast five sing listen six table travel less morning ten simple several vowel toward war lay against pattern
slow center love person money serve appear road map science rule govern pull cold notice voice fall power town fine
certain fly unit lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty
drive stood contain front teach week final gave green oh quick develop sleep warm free minute strong special mind
behind clear tail produce fact street inch lot nothing course stay wheel full force blue object decide surface deep
moon island foot yet busy test record boat common gold possible plane age dry wonder laugh thousand ago ran check
game shape yes cool miss brought heat snow bed bring sit perhaps fill east weight language among fix repair build
desk wall washing loan loans student pay debt computer phone code error install file server data price buy sell`
  .split(/\s+/)
  .filter(Boolean);
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'er', 'ly', 'tion', 'able', 'ment', 'ness'];
const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const PUNCT = `.,?!'"-:;()/&$%@#*+=[]{}<>_~\``.split('');

function buildVocab(): Map<string, number> {
  const vocab = new Map<string, number>();
  const add = (t: string) => {
    if (!vocab.has(t)) vocab.set(t, vocab.size);
  };
  for (const t of [...SPECIALS, ...PUNCT, ...CHARS, ...CHARS.map((c) => `##${c}`), ...SUFFIXES.map((s) => `##${s}`)]) add(t);
  for (const w of WORDS) add(w);
  return vocab;
}


function randomTable(rows: number, cols: number, seed: number, scale: number): Float32Array {
  const rnd = prng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = (rnd() * 2 - 1) * scale;
  return out;
}

function floatTensor(name: string, dims: number[], data: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function int64Input(name: string) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.INT64,
        shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] },
      },
    },
  });
}

function buildOnnx(vocabSize: number, dim: number): Uint8Array {
  const word = randomTable(vocabSize, dim, 0x5eed, 1);
  const types = randomTable(2, dim, 0x7e57, 0.05);
  const axes = new BigInt64Array([-1n]);
  const graph = onnx.GraphProto.create({
    name: 'tiny_bert_bow',
    initializer: [
      floatTensor('word_embeddings', [vocabSize, dim], word),
      floatTensor('token_type_embeddings', [2, dim], types),
      onnx.TensorProto.create({
        name: 'unsqueeze_axes',
        dims: [1],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(axes.buffer),
      }),
    ],
    node: [
      { opType: 'Gather', input: ['word_embeddings', 'input_ids'], output: ['we'], name: 'word_lookup' },
      { opType: 'Gather', input: ['token_type_embeddings', 'token_type_ids'], output: ['te'], name: 'type_lookup' },
      { opType: 'Add', input: ['we', 'te'], output: ['emb'], name: 'sum' },
      {
        opType: 'Cast',
        input: ['attention_mask'],
        output: ['mask_f'],
        name: 'mask_cast',
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT }],
      },
      { opType: 'Unsqueeze', input: ['mask_f', 'unsqueeze_axes'], output: ['mask3'], name: 'mask_expand' },
      { opType: 'Mul', input: ['emb', 'mask3'], output: ['last_hidden_state'], name: 'mask_apply' },
    ].map((n) => onnx.NodeProto.create(n)),
    input: [int64Input('input_ids'), int64Input('attention_mask'), int64Input('token_type_ids')],
    output: [
      onnx.ValueInfoProto.create({
        name: 'last_hidden_state',
        type: {
          tensorType: {
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: dim }] },
          },
        },
      }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ai-gateway make-tiny-model',
    opsetImport: [{ domain: '', version: 14 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function tokenizerJson(vocab: Map<string, number>) {
  const special = (content: string) => ({
    id: vocab.get(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: 128, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab.get('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab.get('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}

/**
 * Writes the tiny model under `rootDir/<TINY_MODEL_ID>` unless it is already there (idempotent, cheap).
 * Returns the model id and root directory to pass as `model` / `modelDir` to `createLocalEmbedder`. Another
 * `dimension` (tests of a model changed on disk) needs its own `rootDir`.
 */
export function makeTinyModel(rootDir: string, dimension = TINY_MODEL_DIMENSION): { modelDir: string; model: string; dimension: number } {
  const root = resolve(rootDir);
  const dir = join(root, TINY_MODEL_ID);
  const done = join(dir, 'onnx', 'model_quantized.onnx');
  if (!existsSync(done)) {
    const vocab = buildVocab();
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify(
        {
          model_type: 'bert',
          architectures: ['BertModel'],
          hidden_size: dimension,
          vocab_size: vocab.size,
          num_hidden_layers: 0,
          num_attention_heads: 1,
          max_position_embeddings: 128,
          type_vocab_size: 2,
          pad_token_id: 0,
        },
        null,
        2,
      ),
    );
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        tokenizer_class: 'BertTokenizer',
        do_lower_case: true,
        model_max_length: 128,
        cls_token: '[CLS]',
        sep_token: '[SEP]',
        pad_token: '[PAD]',
        unk_token: '[UNK]',
        mask_token: '[MASK]',
      }),
    );
    const bytes = buildOnnx(vocab.size, dimension);
    writeFileSync(join(dir, 'onnx', 'model.onnx'), bytes);
    // Written last: its presence marks a complete model (see the existsSync check above).
    writeFileSync(done, bytes);
  }
  return { modelDir: root, model: TINY_MODEL_ID, dimension };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = makeTinyModel(process.argv[2] ?? 'test/.tmp/models');
  console.log(`tiny model ${out.model} (${out.dimension} dims) written under ${out.modelDir}`);
}
