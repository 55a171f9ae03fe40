export type {
  Metric,
  SearchHit,
  SearchOptions,
  IndexItem,
  VectorIndexOptions,
  VectorIndex,
} from './contract.js';
export { createFlatIndex } from './flat-index.js';
export type { FlatIndexOptions } from './flat-index.js';
export { FLAT_FORMAT } from './flat-codec.js';
export {
  METRICS,
  DEFAULT_CAPACITY,
  MAX_DIMENSION,
  assertMetric,
  assertId,
  assertK,
  checkVector,
  resolveIndexOptions,
} from './validate.js';
export type { ResolvedIndexOptions } from './validate.js';
export { hitFromScore, compareHits, metricCode, metricFromCode } from './metric.js';
// Re-exported from core for adapter authors (they moved there so every codec shares them).
export { crc32, ByteWriter, ByteReader, openContainer, corrupt } from '@microlora/core';
export type { ContainerFormat } from '@microlora/core';
export { assertSnapshotFits } from './adapter-kit/index-header.js';
