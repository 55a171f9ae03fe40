export { MicroLoraError, isMicroLoraError } from './errors.js';
export type { MicroLoraErrorCode, MicroLoraErrorOptions } from './errors.js';
export {
  MICRO_RANK_MAX,
  RANK_LIMIT,
  FEATURES_LIMIT,
  assertInteger,
  assertFiniteNumber,
  assertDimension,
  assertRank,
  assertLength,
  assertFloat32Array,
  assertAllFinite,
  assertTimestep,
  assertTimestepRange,
  findNonFinite,
} from './validate.js';
export { SeededRng } from './rng.js';
export type { Seed } from './rng.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export {
  ALL_LAYERS,
  assertLoraShape,
  loraFromFactors,
  createLora,
  zeroLora,
  cloneLora,
  loraParamCount,
  materializeDelta,
} from './lora.js';
export type { LoraWeights, LoraShape, CreateLoraOptions, LoraFromFactorsOptions } from './lora.js';
export { thinQr, jacobiSvd, svdOfProduct } from './linalg.js';
export type { ThinQr, JacobiSvd, ProductSvd } from './linalg.js';
export { loraSvd, loraSingularValues, loraFromProductSvd, recompressLora } from './lora-svd.js';
export { SHARING_TIERS, isCompressedLora, initialPatternMetrics, privatePolicy } from './pattern.js';
export type {
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
} from './pattern.js';
export { Registry } from './registry.js';
export type { Factory, RegisterOptions, RegistryFailure } from './registry.js';
export { crc32 } from './crc32.js';
export { ByteWriter, ByteReader, openContainer, corrupt } from './container.js';
export type { ContainerFormat } from './container.js';
