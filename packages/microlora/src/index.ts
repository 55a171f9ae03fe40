// The umbrella: createMicroLora() with embedded defaults, plus the public API of every
// package it bundles under one import. Helpers meant for backend/adapter authors stay in
// their scoped packages (e.g. @microlora/simd's argument checks).

export { createMicroLora, loadMicroLora } from './create.js';
export type { LoadMicroLoraOptions } from './create.js';
export { MicroLora } from './micro-lora.js';
export type { PatternSpec, AdapterRequest, RequestFeedback, MicroLoraStats } from './micro-lora.js';
export { DEFAULT_HIDDEN_SIZE, DEFAULT_MAX_PATTERNS_PER_BANK } from './options.js';
export type { MicroLoraOptions, IndexSetting, IndexFactory, IndexKind } from './options.js';
export { MICROLORA_FORMAT, embedderFingerprint } from './micro-lora-codec.js';
export { versions } from './versions.js';
export { runDemo } from './demo.js';
export type { DemoSummary } from './demo.js';

// @microlora/core
export {
  MicroLoraError,
  isMicroLoraError,
  MICRO_RANK_MAX,
  RANK_LIMIT,
  FEATURES_LIMIT,
  SeededRng,
  systemClock,
  ManualClock,
  ALL_LAYERS,
  createLora,
  loraFromFactors,
  zeroLora,
  cloneLora,
  loraParamCount,
  materializeDelta,
  SHARING_TIERS,
  isCompressedLora,
  initialPatternMetrics,
  privatePolicy,
  Registry,
  crc32,
} from '@microlora/core';
export type {
  MicroLoraErrorCode,
  MicroLoraErrorOptions,
  Seed,
  Clock,
  LoraWeights,
  LoraShape,
  CreateLoraOptions,
  LoraFromFactorsOptions,
  QuantScheme,
  QuantizedTensor,
  CompressedLora,
  TimestepRange,
  PatternMetrics,
  SharingTier,
  SharingPolicy,
  Provenance,
  Pattern,
  PatternInput,
} from '@microlora/core';

// @microlora/simd and @microlora/simd-wasm
export {
  SIMD_OP_NAMES,
  registerBackend,
  getBackend,
  getBackendAsync,
  setPreferredBackend,
  listBackends,
  backendFailures,
  createJsBackend,
} from '@microlora/simd';
export type { SimdOps, SimdOpName } from '@microlora/simd';
export { createWasmBackend, initWasmBackend, wasmSimdUnavailableReason } from '@microlora/simd-wasm';
export type { WasmSimdOps, WasmBackendOptions } from '@microlora/simd-wasm';

// @microlora/quantization
export {
  compress,
  decompress,
  decompressInto,
  encodeBinary,
  decodeBinary,
  encodeJson,
  decodeJson,
  byteSize,
  relativeFrobeniusError,
  QUANT_SCHEMES,
} from '@microlora/quantization';
export type { CompressOptions, DecompressOptions, DecompressIntoOptions } from '@microlora/quantization';

// @microlora/vector-index and @microlora/vector-index-hamming
export { createFlatIndex } from '@microlora/vector-index';
export type { Metric, SearchHit, SearchOptions, IndexItem, VectorIndexOptions, VectorIndex, FlatIndexOptions } from '@microlora/vector-index';
export { createHammingIndex } from '@microlora/vector-index-hamming';
export type { HammingIndex, HammingIndexOptions } from '@microlora/vector-index-hamming';

// @microlora/embed
export { HashingEmbedder, createCallbackEmbedder } from '@microlora/embed';
export type { Embedder, HashingEmbedderOptions, CallbackEmbedderOptions } from '@microlora/embed';

// @microlora/bank
export { MicroLoraBank, DEFAULT_SCORING } from '@microlora/bank';
export type {
  RetrievedPattern,
  InsertOptions,
  InsertResult,
  UsageRecord,
  FeedbackRecord,
  BankStats,
  LoadBankOptions,
  MicroLoraBankOptions,
  ScoringWeights,
} from '@microlora/bank';

// @microlora/composer
export {
  createComposeBuffers,
  composeExact,
  defineExactStrategy,
  weightedAverage,
  attention,
  topK,
  taskArithmetic,
  factorAverage,
  registerStrategy,
  getStrategy,
  listStrategies,
  unregisterStrategy,
  recompress,
  loraSingularValues,
} from '@microlora/composer';
export type {
  ComposeItem,
  ComposeOptions,
  ComposeTarget,
  CompositionStrategy,
  ExactCompositionStrategy,
  ApproximateCompositionStrategy,
  StrategyOptionsMap,
  StrategyName,
  ExactStrategyDefinition,
} from '@microlora/composer';

// @microlora/talora
export {
  TaloraManager,
  DEFAULT_BOUNDARIES,
  createBankLayout,
  bankIndexAt,
  banksForRange,
  discrete,
  linear,
  softBoundary,
  registerInterpolation,
  getInterpolation,
  listInterpolations,
  unregisterInterpolation,
} from '@microlora/talora';
export type {
  TaloraManagerOptions,
  TaloraInsertResult,
  TaloraStats,
  TaloraLoadOptions,
  AdapterSource,
  AdapterWithSources,
  InterpolationStrategy,
  InterpolationOptionsMap,
  InterpolationSetting,
  ComposerSetting,
  BankLayout,
  SoftBoundaryOptions,
} from '@microlora/talora';
