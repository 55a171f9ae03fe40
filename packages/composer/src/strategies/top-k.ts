import { assertInteger } from '@microlora/core';
import type { ComposeItem, TopKOptions } from '../contract.js';
import { defineExactStrategy } from '../define-strategy.js';

/**
 * wᵢ = 1/min(k, n) for the k best-scored items, 0 for the rest. Ties go to the
 * earlier item, so the choice is deterministic. O(n·k), no allocation.
 */
export function topKWeightsInto(items: readonly ComposeItem[], options: TopKOptions | undefined, out: Float64Array): void {
  const k = options?.k ?? 1;
  assertInteger('top-k option k', k, 1, Number.MAX_SAFE_INTEGER);
  const n = items.length;
  const take = Math.min(k, n);
  out.fill(0, 0, n);
  for (let t = 0; t < take; t++) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const score = (items[i] as ComposeItem).score;
      if (out[i] === 0 && (best < 0 || score > bestScore)) {
        best = i;
        bestScore = score;
      }
    }
    out[best] = 1; // marks "taken"; scaled to 1/take below
  }
  const w = 1 / take;
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) * w;
}

/** ΔW' = (1/k)·Σ_{i ∈ top k} ΔWᵢ, exactly. */
export const topK = defineExactStrategy<TopKOptions>({
  name: 'top-k',
  description: 'equal weights over the k best-scored items (k ≥ 1, default 1; ties to the earlier item), exact by rank stacking',
  weightsInto: topKWeightsInto,
});
