/**
 * A deliberately plain, independent implementation of the OpenAI cookbook's counting ("How to count tokens with
 * tiktoken": num_tokens_from_messages + num_tokens_for_tools, and the vision tile formula), written the way the
 * cookbook's Python reads, with tiktoken's own model table. It shares no code with src/tokens, so the corpus test
 * compares two implementations. Image sizes are given by the test (not parsed from the images).
 */
import { get_encoding, get_encoding_name_for_model, type Tiktoken, type TiktokenModel } from 'tiktoken';

const encoders = new Map<string, Tiktoken>();
function encodingFor(model: string): Tiktoken {
  let name: 'o200k_base' | 'cl100k_base';
  try {
    name = get_encoding_name_for_model(model as TiktokenModel) as 'o200k_base' | 'cl100k_base';
  } catch {
    name = 'o200k_base'; // cookbook: "Warning: model not found. Using o200k_base encoding."
  }
  if (!encoders.has(name)) encoders.set(name, get_encoding(name));
  return encoders.get(name)!;
}

function imageTileTokens(detail: string | undefined, size: [number, number] | null): number {
  if (detail === 'low') return 85;
  if (!size) return 85 + 170 * 8; // our documented worst case for unknown sizes
  let [width, height] = size;
  if (width > 2048 || height > 2048) {
    const ar = width / height;
    if (ar > 1) [width, height] = [2048, Math.trunc(2048 / ar)];
    else [width, height] = [Math.trunc(2048 * ar), 2048];
  }
  if (width >= height && height > 768) [width, height] = [Math.trunc((768 / height) * width), 768];
  else if (height > width && width > 768) [width, height] = [768, Math.trunc((768 / width) * height)];
  return 85 + 170 * Math.ceil(width / 512) * Math.ceil(height / 512);
}

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function referencePromptTokens(model: string, body: Any, imageSizes: ([number, number] | null)[] = []): number {
  const enc = encodingFor(model);
  const len = (s: string) => enc.encode(s, [], []).length;
  let images = 0;
  let num = 0;
  for (const message of body.messages as Any[]) {
    num += 3;
    for (const [key, value] of Object.entries(message)) {
      if (typeof value === 'string') {
        num += len(value);
        if (key === 'name') num += 1;
      } else if (key === 'content' && Array.isArray(value)) {
        for (const part of value as Any[]) {
          if (part.type === 'text') num += len(part.text);
          else if (part.type === 'refusal') num += len(part.refusal);
          else if (part.type === 'image_url') num += imageTileTokens(part.image_url.detail, imageSizes[images++] ?? null);
        }
      } else if (key === 'tool_calls' && Array.isArray(value)) {
        for (const c of value as Any[]) num += len(c.function.name) + len(c.function.arguments);
      } else if (key === 'function_call' && value) {
        num += len((value as Any).name) + len((value as Any).arguments);
      }
    }
  }
  num += 3;

  const functions: Any[] = body.tools ? body.tools.map((t: Any) => t.function) : (body.functions ?? []);
  if (functions.length > 0) {
    const funcInit = enc.name === 'cl100k_base' ? 10 : 7;
    const [propInit, propKey, enumInit, enumItem, funcEnd] = [3, 3, -3, 3, 12];
    const text = (v: unknown): string =>
      v === undefined || v === null ? '' : Array.isArray(v) ? v.map(text).join('|') : String(v);
    const strip = (s: string) => (s.endsWith('.') ? s.slice(0, -1) : s);
    for (const f of functions) {
      num += funcInit;
      num += len(`${f.name}:${strip(text(f.description))}`);
      const props = f.parameters?.properties ?? {};
      if (Object.keys(props).length > 0) {
        num += propInit;
        for (const key of Object.keys(props)) {
          num += propKey;
          const p = props[key];
          if ('enum' in p) {
            num += enumInit;
            for (const item of p.enum) {
              num += enumItem;
              num += len(text(item));
            }
          }
          num += len(`${key}:${text(p.type)}:${strip(text(p.description))}`);
        }
      }
    }
    num += funcEnd;
  }
  // Gateway extension beyond the cookbook (documented in src/tokens/prompt-tokens.ts): a json_schema response
  // format costs the tokens of its compact JSON.
  if (body.response_format?.type === 'json_schema' && body.response_format.json_schema?.schema !== undefined) {
    num += len(JSON.stringify(body.response_format.json_schema.schema));
  }
  return num;
}
