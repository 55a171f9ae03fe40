export { createHammingIndex } from './hamming-index.js';
export type { HammingIndex } from './hamming-index.js';
export type { HammingIndexOptions, HammingStructure } from './options.js';
export { HAMMING_FORMAT } from './hamming-codec.js';
export { initHammingKernels, HAMMING_KERNELS_BYTE_LENGTH } from './wasm-module.js';
