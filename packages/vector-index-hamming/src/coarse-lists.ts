import { SeededRng } from '@microlora/core';
import type { Arena } from './arena.js';

/** k-majority rounds: assignment by Hamming distance, then a per-bit majority vote. */
const TRAINING_ROUNDS = 8;
/** Training sample per list. */
const SAMPLE_PER_LIST = 64;

/** Copies the full code of `slot` (prefix then suffix words) to `dst` (contiguous). */
export function copyFullCode(arena: Arena, slot: number, dst: number): void {
  const { prefixWords, suffixWords } = arena.shape;
  const u8 = arena.u8;
  const p = arena.prefix + slot * prefixWords * 8;
  u8.copyWithin(dst, p, p + prefixWords * 8);
  if (suffixWords > 0) {
    const s = arena.suffix + slot * suffixWords * 8;
    u8.copyWithin(dst + prefixWords * 8, s, s + suffixWords * 8);
  }
}

/** The list whose centroid code is nearest (Hamming) to the full code at `code`; ties → lowest list. */
export function nearestList(arena: Arena, code: number, lists: number): number {
  const words = arena.shape.prefixWords + arena.shape.suffixWords;
  arena.kernels.scanWords(arena.centroids, words, 0, lists, code, arena.centroidDist);
  const u16 = arena.u16;
  const base = arena.centroidDist >> 1;
  let best = 0;
  let bestDistance = u16[base] as number;
  for (let l = 1; l < lists; l++) {
    const d = u16[base + l] as number;
    if (d < bestDistance) {
      bestDistance = d;
      best = l;
    }
  }
  return best;
}

/**
 * Trains `lists` centroid codes on a sample of `slots` (live slots) by k-majority — k-means
 * in Hamming space, whose centroid is the per-bit majority — and writes them to the
 * arena's centroid region. Deterministic for a given seed and slot order.
 */
export function trainCentroids(arena: Arena, slots: Int32Array, lists: number, seed: number): void {
  const words = arena.shape.prefixWords + arena.shape.suffixWords;
  const bits = words * 64;
  const rng = new SeededRng(seed);
  // Partial Fisher–Yates: the first `sampleSize` entries become a uniform sample.
  const order = Int32Array.from(slots);
  const sampleSize = Math.min(order.length, lists * SAMPLE_PER_LIST);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + rng.int(order.length - i);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  // Contiguous copy of the sample's codes (u32 words, little-endian halves of u64).
  const sample = new Uint32Array(sampleSize * words * 2);
  const u32 = arena.u32;
  for (let i = 0; i < sampleSize; i++) {
    copyFullCode(arena, order[i] as number, arena.stageCode);
    sample.set(u32.subarray(arena.stageCode >> 2, (arena.stageCode >> 2) + words * 2), i * words * 2);
  }
  const centroidWords = arena.centroids >> 2;
  const seedCentroid = (l: number): void => {
    const i = sampleSize > 0 ? rng.int(sampleSize) : 0;
    u32.set(sample.subarray(i * words * 2, (i + 1) * words * 2), centroidWords + l * words * 2);
  };
  for (let l = 0; l < lists; l++) {
    if (l < sampleSize) u32.set(sample.subarray(l * words * 2, (l + 1) * words * 2), centroidWords + l * words * 2);
    else seedCentroid(l);
  }
  if (sampleSize === 0) return;
  const assignment = new Int32Array(sampleSize);
  const counts = new Int32Array(lists * bits);
  const members = new Int32Array(lists);
  for (let round = 0; round < TRAINING_ROUNDS; round++) {
    for (let i = 0; i < sampleSize; i++) {
      u32.set(sample.subarray(i * words * 2, (i + 1) * words * 2), arena.stageCode >> 2);
      assignment[i] = nearestList(arena, arena.stageCode, lists);
    }
    counts.fill(0);
    members.fill(0);
    for (let i = 0; i < sampleSize; i++) {
      const l = assignment[i] as number;
      members[l] = (members[l] as number) + 1;
      const c = l * bits;
      const s = i * words * 2;
      for (let w = 0; w < words * 2; w++) {
        let x = sample[s + w] as number;
        while (x !== 0) {
          const bit = 31 - Math.clz32(x & -x);
          const at = c + w * 32 + bit;
          counts[at] = (counts[at] as number) + 1;
          x &= x - 1;
        }
      }
    }
    for (let l = 0; l < lists; l++) {
      const n = members[l] as number;
      if (n === 0) {
        seedCentroid(l);
        continue;
      }
      const c = l * bits;
      for (let w = 0; w < words * 2; w++) {
        let x = 0;
        for (let bit = 0; bit < 32; bit++) if ((counts[c + w * 32 + bit] as number) * 2 > n) x |= 1 << bit;
        u32[centroidWords + l * words * 2 + w] = x >>> 0;
      }
    }
  }
}
