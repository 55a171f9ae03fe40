import type { SeededRng } from '@microlora/core';
import { MASK, PAD } from './vocab.js';

/**
 * Masks each non-PAD position of `clean` with probability t (at least one
 * position when any exists). Writes the noisy tokens into `noisy` and 1/0 per
 * position into `masked`; returns how many were masked.
 */
export function maskTokens(clean: Int32Array, t: number, rng: SeededRng, noisy: Int32Array, masked: Float32Array): number {
  let count = 0;
  let last = -1;
  for (let i = 0; i < clean.length; i++) {
    const id = clean[i] as number;
    if (id === PAD) {
      noisy[i] = PAD;
      masked[i] = 0;
      continue;
    }
    last = i;
    if (rng.next() < t) {
      noisy[i] = MASK;
      masked[i] = 1;
      count++;
    } else {
      noisy[i] = id;
      masked[i] = 0;
    }
  }
  if (count === 0 && last >= 0) {
    // Mask one position (chosen uniformly) so every sequence carries signal.
    let pick = rng.int(last + 1);
    while (clean[pick] === PAD) pick = (pick + 1) % (last + 1);
    noisy[pick] = MASK;
    masked[pick] = 1;
    count = 1;
  }
  return count;
}
