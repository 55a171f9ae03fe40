import { MicroLoraError, assertFiniteNumber } from '@microlora/core';
import type { LoraWeights } from '@microlora/core';
import { DEFAULT_MAX_DENSE_ENTRIES, assertDenseSize } from './dense-delta.js';
import type { DenseDelta } from './dense-delta.js';
import { checkUpdates, deltaRowInto } from './model-update.js';

export interface TrimmedMeanOptions {
  /** Cap on out × in of the dense result (default 4 Mi). */
  maxDenseEntries?: number;
}

/**
 * Coordinate-wise trimmed mean of ΔW (Yin et al. 2018): for every entry of ΔW,
 * drop the t = ⌊trimFraction·k⌋ largest and t smallest of the k peers' values
 * and average the rest. Unweighted (a poisoner would inflate its sample count).
 *
 * Computed on ΔW entries, not on factor entries (factors are only defined up to
 * an invertible r × r change of basis, so trimming them is meaningless); the
 * result is dense — lowRankApprox turns it back into an adapter.
 *
 * Guarantee: with at most t poisoned updates, every entry of the result lies
 * between the smallest and largest honest value of that entry, so
 * |T_j − μ_j| ≤ max_h |x_hj − μ_j| for the honest mean μ, whatever the poison.
 * Memory O(k·in + out·in); ΔW rows are formed one at a time.
 */
export function trimmedMean(
  updates: readonly { weights: LoraWeights | DenseDelta }[],
  trimFraction: number,
  options: TrimmedMeanOptions = {},
): DenseDelta {
  const { outFeatures: m, inFeatures: n } = checkUpdates(updates);
  assertFiniteNumber('trimFraction', trimFraction, 0);
  if (!(trimFraction < 0.5)) {
    throw new MicroLoraError('OUT_OF_RANGE', `trimFraction must be in [0, 0.5), got ${trimFraction}: trimming half from each side leaves nothing`);
  }
  const k = updates.length;
  const t = Math.floor(trimFraction * k);
  assertDenseSize(m, n, options.maxDenseEntries ?? DEFAULT_MAX_DENSE_ENTRIES);
  const rows = new Float64Array(k * n);
  const column = new Float64Array(k);
  const data = new Float64Array(m * n);
  const kept = k - 2 * t;
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < k; i++) deltaRowInto((updates[i] as { weights: LoraWeights | DenseDelta }).weights, o, rows.subarray(i * n, (i + 1) * n));
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < k; i++) column[i] = rows[i * n + j] as number;
      column.sort();
      let s = 0;
      for (let i = t; i < k - t; i++) s += column[i] as number;
      data[o * n + j] = s / kept;
    }
  }
  return { outFeatures: m, inFeatures: n, data };
}
