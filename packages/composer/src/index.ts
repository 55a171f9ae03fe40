export type {
  ComposeItem,
  ComposeOptions,
  ComposeTarget,
  CompositionStrategy,
  ExactCompositionStrategy,
  ApproximateCompositionStrategy,
  StrategyOptionsMap,
  StrategyName,
  OptionsFor,
  WeightedAverageOptions,
  AttentionOptions,
  TopKOptions,
  TaskArithmeticOptions,
  FactorAverageOptions,
} from './contract.js';
export { createComposeBuffers } from './buffers.js';
export type { ComposeBuffers, ComposeBuffersOptions } from './buffers.js';
export { validateComposeItems } from './items.js';
export type { ComposeShape } from './items.js';
export { composeExact } from './compose-exact.js';
export type { ComposeExactOptions } from './compose-exact.js';
export { defineExactStrategy } from './define-strategy.js';
export type { ExactStrategyDefinition } from './define-strategy.js';
export { weightedAverage, weightedAverageWeightsInto } from './strategies/weighted-average.js';
export { attention, attentionWeightsInto } from './strategies/attention.js';
export { topK, topKWeightsInto } from './strategies/top-k.js';
export { taskArithmetic, taskArithmeticWeightsInto } from './strategies/task-arithmetic.js';
export { factorAverage } from './strategies/factor-average.js';
export { registerStrategy, getStrategy, listStrategies, unregisterStrategy } from './registry.js';
export { assertCompositionStrategy } from './strategy-shape.js';
// Re-compression is shared with @microlora/federation, so it lives in core; `recompress` is its name here.
export { recompressLora as recompress, loraSingularValues } from '@microlora/core';
