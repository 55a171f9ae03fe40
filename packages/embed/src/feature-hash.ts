// 32-bit integer hashing shared by every feature kind. Only Math.imul, shifts and
// xors: identical results in every JavaScript engine.

/** One murmur3 block step: folds the 32-bit value `k` into the running hash `h`. */
export function mixStep(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's fmix32 finaliser: every input bit affects every output bit. Returns a signed int32 (stays unboxed). */
export function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A seed (number or string) folded to 32 bits; FNV-1a over UTF-16 code units for strings. */
export function hashSeed(seed: number | string): number {
  if (typeof seed === 'number') return finalMix((seed ^ Math.floor(seed / 0x1_0000_0000)) | 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return finalMix(h);
}
