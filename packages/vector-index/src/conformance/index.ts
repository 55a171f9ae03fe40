export { vectorIndexConformanceCases } from './cases.js';
export type { ConformanceCase, CreateVectorIndex, VectorIndexConformanceOptions } from './cases.js';
export { referenceScore, referenceSearch, recall } from './reference.js';
export type { ReferenceScore } from './reference.js';
export { ClusteredData, gaussianVector } from './data.js';
