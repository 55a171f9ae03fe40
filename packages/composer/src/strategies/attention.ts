import { MicroLoraError, assertFiniteNumber } from '@microlora/core';
import type { AttentionOptions, ComposeItem } from '../contract.js';
import { defineExactStrategy } from '../define-strategy.js';

function temperatureOf(options: AttentionOptions | undefined): number {
  const temperature = options?.temperature ?? 1;
  assertFiniteNumber('attention option temperature', temperature);
  if (temperature <= 0) {
    throw new MicroLoraError('OUT_OF_RANGE', `attention option temperature must be > 0, got ${temperature}`, {
      details: { temperature },
    });
  }
  return temperature;
}

/** wᵢ = softmax(score / temperature)ᵢ, computed as exp((sᵢ − max)/T) / Σ so nothing overflows. */
export function attentionWeightsInto(items: readonly ComposeItem[], options: AttentionOptions | undefined, out: Float64Array): void {
  const temperature = temperatureOf(options);
  const k = items.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) max = Math.max(max, (items[i] as ComposeItem).score);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    // (sᵢ − max) ≤ 0 so exp ∈ (0, 1], and the max item contributes exactly 1: sum ≥ 1.
    const e = Math.exp(((items[i] as ComposeItem).score - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < k; i++) out[i] = (out[i] as number) / sum;
}

/** ΔW' = Σ softmax(s/T)ᵢ·ΔWᵢ, exactly. */
export const attention = defineExactStrategy<AttentionOptions>({
  name: 'attention',
  description: 'softmax(score / temperature) weights (temperature > 0, default 1), exact by rank stacking',
  weightsInto: attentionWeightsInto,
});
