import { MicroLoraError } from '@microlora/core';
import type { ComposeItem, WeightedAverageOptions } from '../contract.js';
import { defineExactStrategy } from '../define-strategy.js';

/**
 * wᵢ = scoreᵢ / Σ score. Negative scores are rejected (an average cannot subtract
 * an adapter); if every score is 0 the weights are uniform (the limit of equal scores).
 */
export function weightedAverageWeightsInto(items: readonly ComposeItem[], out: Float64Array): void {
  const k = items.length;
  let max = 0;
  for (let i = 0; i < k; i++) {
    const score = (items[i] as ComposeItem).score;
    if (score < 0) {
      throw new MicroLoraError(
        'OUT_OF_RANGE',
        `weighted-average needs scores ≥ 0 but items[${i}].score is ${score}; use 'attention' (softmax) or 'task-arithmetic' for signed scores`,
        { details: { index: i, score } },
      );
    }
    if (score > max) max = score;
  }
  if (max === 0) {
    out.fill(1 / k, 0, k);
    return;
  }
  // Dividing by the max first keeps Σ finite even for scores near Number.MAX_VALUE.
  let sum = 0;
  for (let i = 0; i < k; i++) sum += (items[i] as ComposeItem).score / max;
  for (let i = 0; i < k; i++) out[i] = (items[i] as ComposeItem).score / max / sum;
}

/** ΔW' = Σ (sᵢ/Σs)·ΔWᵢ, exactly. The default strategy. */
export const weightedAverage = defineExactStrategy<WeightedAverageOptions>({
  name: 'weighted-average',
  description: 'score-normalised weights (scores ≥ 0; all-zero scores give uniform weights), exact by rank stacking',
  weightsInto: (items, _options, out) => weightedAverageWeightsInto(items, out),
});
