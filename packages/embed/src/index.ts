export type { Embedder } from './embedder.js';
export { HashingEmbedder } from './hashing-embedder.js';
export type { HashingEmbedderOptions } from './hashing-embedder.js';
export { createCallbackEmbedder } from './callback-embedder.js';
export type { CallbackEmbedderOptions } from './callback-embedder.js';
