import { MicroLoraError } from '@microlora/core';

/** How far Σβ may be from 1 (relative to the bank count) before the weights are rejected. */
export const BANK_WEIGHT_SUM_TOLERANCE = 1e-9;

/**
 * β[0 … count) must be a convex combination: finite (NON_FINITE), ≥ 0 and summing
 * to 1 within BANK_WEIGHT_SUM_TOLERANCE · count (OUT_OF_RANGE). `who` names the
 * strategy for the message. Allocates nothing unless it throws.
 */
export function assertBankWeights(weights: Float64Array, count: number, who: string): void {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w)) {
      throw new MicroLoraError('NON_FINITE', `${who} gave bank ${i} the weight ${w}; bank weights must be finite`, {
        details: { bank: i, weight: w },
      });
    }
    if (w < 0) {
      throw new MicroLoraError('OUT_OF_RANGE', `${who} gave bank ${i} the negative weight ${w}; bank weights must be ≥ 0`, {
        details: { bank: i, weight: w },
      });
    }
    sum += w;
  }
  if (Math.abs(sum - 1) > BANK_WEIGHT_SUM_TOLERANCE * Math.max(1, count)) {
    throw new MicroLoraError(
      'OUT_OF_RANGE',
      `${who} gave bank weights summing to ${sum}; they must be normalised to sum to 1`,
      { details: { sum } },
    );
  }
}
