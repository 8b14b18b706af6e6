// Cryptocurrency address checksums via audited libraries (@scure/base, @noble/hashes) rather than hand-rolled
// base58/bech32/keccak code.
import { base58check, bech32, bech32m } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

const b58c = base58check(sha256);

/** Legacy P2PKH (version 0x00) / P2SH (0x05) address with a valid base58check checksum. */
export function btcBase58Valid(s: string): boolean {
  try {
    const bytes = b58c.decode(s);
    return bytes.length === 21 && (bytes[0] === 0x00 || bytes[0] === 0x05);
  } catch {
    return false;
  }
}

/** Segwit address: bech32 for witness v0, bech32m for v1+ (BIP-173/350), human-readable part `bc`. */
export function btcBech32Valid(s: string): boolean {
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return false;
  const lower = s.toLowerCase() as `${string}1${string}`;
  for (const codec of [bech32, bech32m]) {
    try {
      const { prefix, words } = codec.decode(lower, 90);
      if (prefix !== 'bc' || words.length === 0) continue;
      const version = words[0];
      if ((version === 0) !== (codec === bech32)) continue;
      const program = codec.fromWords(words.slice(1));
      if (program.length < 2 || program.length > 40) continue;
      if (version === 0 && program.length !== 20 && program.length !== 32) continue;
      return true;
    } catch {
      // try the other encoding
    }
  }
  return false;
}

/** Ethereum address: all-lower/all-upper hex is accepted; mixed case must match the EIP-55 checksum. */
export function ethAddressValid(s: string): boolean {
  const hex = s.slice(2);
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) return false;
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return !/^0+$/.test(hex);
  const hash = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const c = hex[i];
    if (c >= '0' && c <= '9') continue;
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    if ((nibble >= 8) !== (c >= 'A' && c <= 'F')) return false;
  }
  return true;
}
