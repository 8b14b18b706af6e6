/**
 * The file format of the tables `npm run build` precomputes (dist/generated/: the BPE tables, the PII names
 * lexicon tables): typed arrays behind a key that names what they were built from. A reader gets views on the
 * file's bytes, no copy, and only when the key it expects is the file's: a file written from other inputs, or
 * damaged, reads as nothing and the caller builds the tables itself.
 *
 * Layout: magic 'TAB1', key length, array count (u32 little-endian each), the key (UTF-8, padded to 4 bytes), then
 * per array its byte length (u32) and its bytes, padded to 4 so every array starts aligned.
 */
const MAGIC = 0x31424154; // 'TAB1'
const pad4 = (n: number) => (n + 3) & ~3;

export function packArrays(key: string, arrays: readonly ArrayBufferView[]): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const size = 12 + pad4(keyBytes.length) + arrays.reduce((n, a) => n + 4 + pad4(a.byteLength), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, keyBytes.length, true);
  view.setUint32(8, arrays.length, true);
  out.set(keyBytes, 12);
  let at = 12 + pad4(keyBytes.length);
  for (const a of arrays) {
    view.setUint32(at, a.byteLength, true);
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at + 4);
    at += 4 + pad4(a.byteLength);
  }
  return out;
}

/** The arrays of `packArrays`' buffer as 4-byte-aligned byte views, when it was written for `key`; else undefined. */
export function unpackArrays(buf: Uint8Array, key: string): Uint8Array[] | undefined {
  if (buf.byteLength < 12) return undefined;
  // Typed views need 4-byte alignment: copy a buffer that does not start on it (a slice of a larger one).
  const b = buf.byteOffset % 4 === 0 ? buf : new Uint8Array(buf);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const keyLen = view.getUint32(4, true);
  if (12 + keyLen > b.byteLength || new TextDecoder().decode(b.subarray(12, 12 + keyLen)) !== key) return undefined;
  const arrays: Uint8Array[] = [];
  let at = 12 + pad4(keyLen);
  for (let n = view.getUint32(8, true); n > 0; n--) {
    if (at + 4 > b.byteLength) return undefined;
    const len = view.getUint32(at, true);
    if (at + 4 + len > b.byteLength) return undefined;
    arrays.push(b.subarray(at + 4, at + 4 + len));
    at += 4 + pad4(len);
  }
  return arrays;
}

/** A typed view of an aligned byte view (from `unpackArrays`); undefined when its length is not a whole number of elements. */
export function viewAs<T extends Int32Array | Uint32Array>(Type: { new (b: ArrayBufferLike, off: number, len: number): T; BYTES_PER_ELEMENT: number }, bytes: Uint8Array): T | undefined {
  if (bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0) return undefined;
  return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
}
