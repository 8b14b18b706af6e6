/**
 * Prompt tokens of an image part, per OpenAI's vision pricing (the cookbook's tile formula):
 * `detail: low` is a flat 85 tokens; `high` and `auto` are 85 + 170 per 512-px tile after the image is fitted
 * into 2048×2048 and its shortest side scaled down to 768.
 *
 * The size is known only for inline `data:` URLs (read from the image header with `image-size`, no full decode).
 * For remote URLs we never fetch on the hot path; the estimate is the worst case the formula allows
 * (8 tiles = 1445 tokens) so that a budget reservation can never be too small. Provider-reported usage replaces
 * the estimate after the call.
 */
import { imageSize } from 'image-size';

export const LOW_DETAIL_IMAGE_TOKENS = 85;
export const TOKENS_PER_TILE = 170;
/** The most tiles any image can have under the formula (e.g. 2048×768 → 4×2). */
export const MAX_IMAGE_TILES = 8;
/** Estimate for a high/auto-detail image whose size we cannot read: the worst case, 85 + 170 × 8 = 1445. */
export const UNKNOWN_SIZE_IMAGE_TOKENS = LOW_DETAIL_IMAGE_TOKENS + TOKENS_PER_TILE * MAX_IMAGE_TILES;

export interface ImageDimensions {
  width: number;
  height: number;
}

/** Pure. Tokens for one image part given its detail and, when known, its pixel size. */
export function imageTokens(detail: string | undefined, size: ImageDimensions | undefined): number {
  if (detail === 'low') return LOW_DETAIL_IMAGE_TOKENS;
  if (!size || !(size.width > 0) || !(size.height > 0)) return UNKNOWN_SIZE_IMAGE_TOKENS;
  let { width, height } = size;
  // Same integer truncation as the cookbook so estimates match it exactly.
  if (width > 2048 || height > 2048) {
    const aspect = width / height;
    if (aspect > 1) {
      width = 2048;
      height = Math.trunc(2048 / aspect);
    } else {
      width = Math.trunc(2048 * aspect);
      height = 2048;
    }
  }
  if (width >= height && height > 768) {
    width = Math.trunc((768 / height) * width);
    height = 768;
  } else if (height > width && width > 768) {
    height = Math.trunc((768 / width) * height);
    width = 768;
  }
  const tiles = Math.ceil(width / 512) * Math.ceil(height / 512);
  return LOW_DETAIL_IMAGE_TOKENS + TOKENS_PER_TILE * tiles;
}

// Decode growing prefixes: PNG/GIF/WebP sizes sit in the first bytes; a JPEG's SOF marker can follow large
// EXIF/ICC segments. Lengths are multiples of 4 so each prefix is valid base64.
const PREFIX_CHARS = [4096, 262_144, 4_194_304];

/** Pixel size of a base64 `data:` image URL, or undefined for remote URLs and unreadable data. Never throws. */
export function imageSizeFromUrl(url: string): ImageDimensions | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0 || !url.slice(0, comma).endsWith(';base64')) return undefined;
  const b64Len = url.length - comma - 1;
  for (const n of PREFIX_CHARS) {
    const end = Math.min(b64Len, n);
    const bytes = Buffer.from(url.slice(comma + 1, comma + 1 + end), 'base64');
    try {
      const r = imageSize(bytes);
      if (r.width && r.height) {
        // EXIF orientations 5–8 rotate by 90°: the model sees the rotated image.
        return r.orientation && r.orientation >= 5
          ? { width: r.height, height: r.width }
          : { width: r.width, height: r.height };
      }
    } catch {
      // Not enough bytes yet (or not an image): try a longer prefix.
    }
    if (end === b64Len) return undefined;
  }
  return undefined;
}
