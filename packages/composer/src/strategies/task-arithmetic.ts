import { assertFiniteNumber } from '@microlora/core';
import type { ComposeItem, TaskArithmeticOptions } from '../contract.js';
import { defineExactStrategy } from '../define-strategy.js';

/** wᵢ = λ for every item (task arithmetic adds task vectors; it does not normalise). */
export function taskArithmeticWeightsInto(items: readonly ComposeItem[], options: TaskArithmeticOptions | undefined, out: Float64Array): void {
  const lambda = options?.lambda ?? 1;
  assertFiniteNumber('task-arithmetic option lambda', lambda);
  out.fill(lambda, 0, items.length);
}

/** ΔW' = λ·Σ ΔWᵢ, exactly. */
export const taskArithmetic = defineExactStrategy<TaskArithmeticOptions>({
  name: 'task-arithmetic',
  description: 'λ·Σ ΔWᵢ (λ finite, default 1; not normalised, scores ignored), exact by rank stacking',
  weightsInto: taskArithmeticWeightsInto,
});
