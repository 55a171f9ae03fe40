/**
 * Seeded Rademacher noise (each entry ±1, so E[εεᵀ] = I) addressed by
 * (seed, event): the noise of exploration event n can be regenerated at feedback
 * time and after a save/load, so the learner stores two integers instead of
 * the noise vectors. Counter-based (a hash per 32 entries), allocation-free.
 */
export function fillExplorationNoise(seed: number, event: number, out: Float32Array, scale: number): void {
  const n = out.length;
  const base = mix32(mix32(seed ^ 0x6a09e667) ^ Math.imul(event, 0x9e3779b1));
  for (let block = 0; block * 32 < n; block++) {
    const bits = mix32(base ^ Math.imul(block + 1, 0x85ebca6b));
    const end = Math.min(32, n - block * 32);
    for (let j = 0; j < end; j++) out[block * 32 + j] = (bits >>> j) & 1 ? scale : -scale;
  }
}

/** y[o] += ±scale with the same signs as fillExplorationNoise(seed, event, ·, scale). */
export function addExplorationNoise(seed: number, event: number, y: Float32Array, scale: number): void {
  const n = y.length;
  const base = mix32(mix32(seed ^ 0x6a09e667) ^ Math.imul(event, 0x9e3779b1));
  for (let block = 0; block * 32 < n; block++) {
    const bits = mix32(base ^ Math.imul(block + 1, 0x85ebca6b));
    const end = Math.min(32, n - block * 32);
    for (let j = 0; j < end; j++) {
      const o = block * 32 + j;
      y[o] = (y[o] as number) + ((bits >>> j) & 1 ? scale : -scale);
    }
  }
}

/** splitmix32-style finaliser: a bijective 32-bit mix. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A 32-bit seed from any integer or string seed. */
export function seedToU32(seed: number | string): number {
  if (typeof seed === 'number') return mix32((seed ^ Math.floor(seed / 0x1_0000_0000)) | 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
