/**
 * Byte-split invariance of the SSE path: the chunks a decoder yields must not depend on how the network cut
 * the bytes. Shared by the per-provider split tests.
 */
import { readSse, type SseEvent } from '../../providers/sse.js';
import type { ChunkStream } from '../../providers/types.js';
import type { UpstreamResponse } from '../../providers/transport.js';
import type { ChatChunk } from '../../src/core/types.js';
import { memoryResponse } from './helpers.js';

export type DecoderFactory = (res: UpstreamResponse, signal: AbortSignal) => ChunkStream;

async function* pieces(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

export async function sseEvents(parts: Uint8Array[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSse(pieces(parts))) out.push(e);
  return out;
}

/** Chunks (with `created` zeroed: translated streams stamp the clock) or the error class the decoder ended with. */
export async function decode(factory: DecoderFactory, parts: Uint8Array[]): Promise<{ chunks: ChatChunk[]; error?: string }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of factory(memoryResponse(parts), new AbortController().signal)) chunks.push({ ...c, created: 0 });
    return { chunks };
  } catch (err) {
    return { chunks, error: (err as { errorClass?: string }).errorClass ?? String(err) };
  }
}

export const oneBytePieces = (buf: Uint8Array) => Array.from(buf, (b) => Uint8Array.of(b));

/**
 * Split positions to check. Every byte boundary, except for transcripts over `fullLimit` bytes, where the
 * O(n²) cost is bounded to: the first and last 4 KB, and ±3 bytes around every event boundary, line break
 * and multi-byte UTF-8 character (the places a splitting bug can live).
 */
export function splitPositions(buf: Uint8Array, fullLimit = 16_384): number[] {
  if (buf.length <= fullLimit) return Array.from({ length: buf.length - 1 }, (_, i) => i + 1);
  const set = new Set<number>();
  for (let i = 1; i < Math.min(4096, buf.length); i++) set.add(i);
  for (let i = Math.max(1, buf.length - 4096); i < buf.length; i++) set.add(i);
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a || buf[i] === 0x0d || buf[i] >= 0x80) {
      for (let d = -3; d <= 3; d++) if (i + d > 0 && i + d < buf.length) set.add(i + d);
    }
  }
  return [...set].sort((a, b) => a - b);
}
