export { vectorIndexConformanceCases } from './cases.js';
export type { ConformanceCase, CreateVectorIndex, VectorIndexConformanceOptions } from './cases.js';
export { hnswTunableConformanceCases } from './hnsw-cases.js';
export type { CreateHnswIndex } from './hnsw-cases.js';
export { referenceScore, referenceSearch, recall, meanRecall } from './reference.js';
export type { ReferenceScore } from './reference.js';
export { ClusteredData, gaussianVector } from './data.js';
