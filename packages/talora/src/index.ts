export { TaloraManager } from './manager.js';
export type {
  TaloraInsertResult,
  AdapterSource,
  AdapterWithSources,
  TaloraStats,
  TaloraLoadOptions,
} from './manager.js';
export type {
  TaloraManagerOptions,
  TaloraRuntimeOptions,
  TaloraBankOptions,
  InterpolationSetting,
  NamedInterpolationConfig,
  CustomInterpolationConfig,
  ComposerSetting,
  NamedComposerConfig,
  CustomComposerConfig,
  ResolvedInterpolation,
  ResolvedComposer,
  VectorIndex,
} from './options.js';
export { MAX_K } from './options.js';
export {
  DEFAULT_BOUNDARIES,
  MAX_BANKS,
  createBankLayout,
  bankRange,
  bankIndexAt,
  banksForRange,
} from './layout.js';
export type { BankLayout } from './layout.js';
export type {
  InterpolationStrategy,
  InterpolationOptions,
  InterpolationOptionsMap,
  InterpolationOptionsFor,
  InterpolationName,
  DiscreteOptions,
  LinearOptions,
  SoftBoundaryOptions,
} from './interpolation/contract.js';
export { discrete } from './interpolation/discrete.js';
export { linear } from './interpolation/linear.js';
export { softBoundary, DEFAULT_SOFT_BOUNDARY_TEMPERATURE } from './interpolation/soft-boundary.js';
export {
  registerInterpolation,
  getInterpolation,
  listInterpolations,
  unregisterInterpolation,
  assertInterpolationStrategy,
} from './interpolation/registry.js';
export { assertBankWeights, BANK_WEIGHT_SUM_TOLERANCE } from './interpolation/bank-weights.js';
export { TALORA_FORMAT } from './manager-codec.js';
