export { createHnswIndex } from './hnsw-index.js';
export type { HnswIndex, HnswIndexOptions } from './hnsw-index.js';
export { HNSW_NODE_FORMAT } from './hnsw-codec.js';
export { writeFileAtomic } from './files.js';
